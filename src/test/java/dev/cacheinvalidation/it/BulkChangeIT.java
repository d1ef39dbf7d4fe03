package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * Bulk changes on the real servers, at a small heap: a transaction far larger than a batch, and a backlog above
 * the stream's bound while no worker reads. The short variants of {@code bench/run.sh bulk}.
 */
class BulkChangeIT {

    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final Duration DRAIN = Duration.ofSeconds(240);
    private static final String QUIET_WORKER = "classpath:log4j2.properties,bench/log4j2-quiet.properties";

    @TempDir
    Path dataDir;

    TestServers servers;

    @BeforeEach
    void servers() {
        servers = TestServers.local();
    }

    @Test
    void aTransactionOfFiftyThousandRowsAtASmallHeapEndsInInvalidationsWithoutDeadLetters() throws Exception {
        int first = 7_000_001;
        int rows = 50_000;
        String stream = "bulk-it:tx:" + System.nanoTime();
        UserInserts.ensure(servers, first, rows);
        List<String> keys = userKeys(first, rows);
        Map<String, String> props = props("bulk-tx", stream, 10_000);
        try (Jedis jedis = servers.redis();
                AppProcess app = AppProcess.jar(List.of("-Xmx128m"), "all", props, env())) {
            setKeys(jedis, keys);
            app.awaitLine("Connected to binlog", STARTUP);

            updateInOneTransaction(first, rows);

            Awaitility.await("every key of the transaction deleted").atMost(DRAIN).pollInterval(Duration.ofMillis(500))
                    .until(() -> !app.isAlive() || existing(jedis, keys) == 0);
            assertThat(app.isAlive()).as("the process is alive:\n" + app.tail(40)).isTrue();
            assertThat(existing(jedis, keys)).isZero();
            assertThat(jedis.xlen(stream + ":dlq")).as("dead letters").isZero();
            assertThat(app.output()).doesNotContain("OutOfMemoryError", "Dead-lettering")
                    .contains("writing it in slices of 1000");
            Awaitility.await("the stream back under its bound of 10,000").atMost(Duration.ofSeconds(30))
                    .until(() -> jedis.xlen(stream) <= 10_000);
        }
    }

    @Test
    void withTheWorkersStoppedAboveTheBoundNothingIsTrimmedAndAfterwardsEveryKeyIsInvalidated() throws Exception {
        int first = 7_100_001;
        int rows = 20_000;
        int bound = 5_000;
        String stream = "bulk-it:backlog:" + System.nanoTime();
        UserInserts.ensure(servers, first, rows);
        List<String> keys = userKeys(first, rows);
        Map<String, String> props = props("bulk-backlog", stream, bound);
        int port = AppProcess.freePort();
        props.put("camel.management.port", Integer.toString(port));
        try (Jedis jedis = servers.redis()) {
            setKeys(jedis, keys);
            // the workers ran before: their group exists, and now they are stopped
            jedis.xgroupCreate(stream, "cache-workers", StreamEntryID.XGROUP_LAST_ENTRY, true);
            try (AppProcess pipeline = AppProcess.jar(List.of("-Xmx128m"), "pipeline", props, env())) {
                pipeline.awaitLine("Connected to binlog", STARTUP);
                for (int block = 0; block < rows; block += 100) {
                    updateInOneTransaction(first + block, 100);
                }
                Awaitility.await("every change in the stream").atMost(DRAIN).pollInterval(Duration.ofMillis(500))
                        .until(() -> jedis.xlen(stream) >= rows);
                pipeline.awaitLine("above its bound of " + bound, Duration.ofSeconds(30));
                Thread.sleep(2500);
                assertThat(jedis.xlen(stream)).as("no unread entry trimmed").isEqualTo(rows);
                String readiness = get(port, "/observe/health/ready");
                assertThat(readiness).contains("DOWN", "above its bound");
                assertThat(get(port, "/observe/metrics")).containsPattern(
                        "redis_stream_retained_over_bound\\{stream=\"" + stream + "\"[^}]*} 15000");

                Map<String, String> workerProps = props("bulk-backlog-worker", stream, bound);
                workerProps.put("log4j2.configurationFile", QUIET_WORKER);
                try (AppProcess worker = AppProcess.jar(List.of("-Xmx128m"), "worker", workerProps, env())) {
                    Awaitility.await("every key deleted once the worker runs").atMost(DRAIN)
                            .pollInterval(Duration.ofMillis(500)).until(() -> existing(jedis, keys) == 0);
                    Awaitility.await("the stream back under its bound").atMost(Duration.ofSeconds(30))
                            .until(() -> jedis.xlen(stream) <= bound);
                    pipeline.awaitLine("is back under its bound of " + bound, Duration.ofSeconds(30));
                    assertThat(jedis.xlen(stream + ":dlq")).isZero();
                    assertThat(pipeline.output() + worker.output()).doesNotContain("OutOfMemoryError");
                }
            }
        }
    }

    private Map<String, String> props(String name, String stream, int maxLen) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cdc.name", name + "-" + System.nanoTime());
        props.put("cdc.serverId", Integer.toString(20_000 + (int) (System.nanoTime() % 20_000)));
        props.put("cdc.dataDir", dataDir.toString());
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", stream + ":dlq");
        props.put("stream.maxLen", Integer.toString(maxLen));
        props.put("worker.blockMs", "500");
        props.put("log4j2.configurationFile", QUIET_WORKER);
        return props;
    }

    private Map<String, String> env() {
        return Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri());
    }

    /** One UPDATE over the id range, one transaction, with a name it did not have before. */
    private void updateInOneTransaction(int first, int count) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            int changed = statement.executeUpdate("UPDATE users SET name = '" + "bulk-" + System.nanoTime()
                    + "' WHERE id BETWEEN " + first + " AND " + (first + count - 1));
            assertThat(changed).isEqualTo(count);
        }
    }

    private static List<String> userKeys(int first, int count) {
        List<String> keys = new ArrayList<>(count);
        for (int id = first; id < first + count; id++) {
            keys.add("user:" + id);
        }
        return keys;
    }

    private static void setKeys(Jedis jedis, List<String> keys) {
        Pipeline pipeline = jedis.pipelined();
        for (String key : keys) {
            pipeline.set(key, "cached");
        }
        pipeline.sync();
    }

    private static long existing(Jedis jedis, List<String> keys) {
        long count = 0;
        for (int i = 0; i < keys.size(); i += 5000) {
            count += jedis.exists(keys.subList(i, Math.min(keys.size(), i + 5000)).toArray(String[]::new));
        }
        return count;
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.body();
    }
}
