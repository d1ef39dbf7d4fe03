package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * A poison pill: a key script with a bug that, on one row, allocates until the JVM's heap is gone. The process
 * ends (-XX:+ExitOnOutOfMemoryError) every time it reads that transaction, and the saved position never passes it.
 * Restarted as an orchestrator would, the pipeline must get past it within three restarts by invalidating the
 * tables of what the crashed runs read (every user:* key, as for TRUNCATE), and go on by row after it.
 */
class PoisonPillIT {

    private static final int FIRST_ID = 7_000_001;
    private static final String BUGGY_SCRIPT = """
            // a key script with a bug: a row whose name starts with "poison" makes it allocate for ever
            const keysOfRows = processBatch;
            processBatch = function (events) {
              if (events.some(event => event.after && String(event.after.name).startsWith('poison'))) {
                const kept = [];
                for (;;) kept.push(new Array(8 * 1024 * 1024).fill(1.5));
              }
              return keysOfRows(events);
            };
            """;

    @TempDir
    Path dataDir;

    @Test
    void aTransactionThatCrashesEveryRunIsInvalidatedByTableWithinThreeRestarts() throws Exception {
        TestServers servers = TestServers.local();
        UserInserts.ensure(servers, FIRST_ID, 3);
        String name = "poison-pill-it";
        String stream = name + ":invalidations";
        Path script = Files.writeString(dataDir.resolve("buggy-keys.js"), BUGGY_SCRIPT);
        int port = AppProcess.freePort();
        Map<String, String> props = RunningApp.defaults(servers, name, dataDir.resolve("data"));
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", stream + ":dlq");
        props.put("worker.group", name);
        props.put("cdc.tables", "app.users");
        props.put("script.file", "routes/cache-keys.js," + script + ",routes/table-keys.js");
        // no limit of the script's own: the JVM's heap is what runs out, as in the bug this stands for
        props.put("script.memMb", "0");
        props.put("script.timeoutMs", "5000");
        props.put("camel.management.enabled", "true");
        props.put("camel.management.port", Integer.toString(port));
        props.put("camel.health.exposureLevel", "full");
        AppProcess.Launch launch = AppProcess.ofJar("all").jvmOptions(List.of("-Xmx192m")).properties(props);
        try (Jedis jedis = servers.redis()) {
            jedis.del(stream, stream + ":dlq");
            AppProcess first = launch.start();
            try {
                first.awaitLine("Connected to binlog", Duration.ofSeconds(90));
                jedis.set("user:" + FIRST_ID, "cached");
                execute(servers, "UPDATE users SET name = CONCAT('healthy ', UUID()) WHERE id = " + FIRST_ID);
                Awaitility.await("a healthy change invalidated").atMost(Duration.ofSeconds(30))
                        .until(() -> !jedis.exists("user:" + FIRST_ID));
                // its position saved (cdc.offsetFlushIntervalMs), so the crashes happen at a position of their own
                Thread.sleep(3_000);

                jedis.set("user:" + (FIRST_ID + 2), "cached");
                jedis.set("user:999999999", "cached, a user no change touches");
                execute(servers, "UPDATE users SET name = CONCAT('poison ', UUID()) WHERE id = " + (FIRST_ID + 1));
                execute(servers, "UPDATE users SET name = CONCAT('after ', UUID()) WHERE id = " + (FIRST_ID + 2));
                assertThat(first.awaitExit(Duration.ofSeconds(60))).as("the first run ends").isNotZero();
                assertThat(first.ranOutOfMemory()).isTrue();
            } finally {
                first.close();
            }

            long restartsStarted = System.nanoTime();
            int restarts = 0;
            while (true) {
                restarts++;
                assertThat(restarts).as("restarts before invalidation resumes").isLessThanOrEqualTo(3);
                AppProcess run = launch.start();
                try {
                    boolean pastIt = waitPastOrEnded(run, jedis);
                    if (!pastIt) {
                        assertThat(run.ranOutOfMemory()).as("restart " + restarts + " ended by the bug:\n" + run.tail(30)).isTrue();
                        continue;
                    }
                    System.out.printf("invalidation resumed on restart %d, %.1f s after the first restart%n", restarts,
                            (System.nanoTime() - restartsStarted) / 1e9);
                    assertThat(run.output()).contains("invalidated by table: app.users");
                    assertThat(jedis.exists("user:999999999")).as("the table's keys all went, as for TRUNCATE").isFalse();
                    HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/observe/health/ready")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.body()).contains("invalidated by table");
                    String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://localhost:" + port + "/observe/metrics")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertThat(metrics).containsPattern("cache_invalidation_transactions_escaped_total\\{[^}]*} [1-9]");

                    // and by row again after it
                    jedis.set("user:" + FIRST_ID, "cached");
                    jedis.set("user:999999999", "cached, a user no change touches");
                    execute(servers, "UPDATE users SET name = CONCAT('healthy ', UUID()) WHERE id = " + FIRST_ID);
                    Awaitility.await("a change after it invalidated by row").atMost(Duration.ofSeconds(30))
                            .until(() -> !jedis.exists("user:" + FIRST_ID));
                    assertThat(jedis.exists("user:999999999")).isTrue();
                    assertThat(jedis.xlen(stream + ":dlq")).as("dead letters").isZero();
                    assertThat(run.isAlive()).isTrue();
                    break;
                } finally {
                    run.close();
                }
            }
        }
    }

    /** True once the change after the poison is invalidated; false when the run ends first. */
    private static boolean waitPastOrEnded(AppProcess run, Jedis jedis) {
        String after = "user:" + (FIRST_ID + 2);
        Awaitility.await("the change after the poison invalidated, or the run ended").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(200)).until(() -> !run.isAlive() || !jedis.exists(after));
        return !jedis.exists(after);
    }

    private static void execute(TestServers servers, String sql) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql);
        }
    }
}
