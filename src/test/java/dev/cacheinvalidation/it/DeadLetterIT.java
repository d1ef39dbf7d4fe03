package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.metrics.Meters;
import org.apache.camel.ServiceStatus;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/** Bad scripts and bad stream entries end in a dead-letter stream (or a stop), never in silence. */
class DeadLetterIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String FAILS_ON_PRODUCTS = """
            function processBatch(events) {
              return events.map(function (e) {
                if (e.table === 'app.products') {
                  throw new Error('cannot handle products');
                }
                e.after._cache_keys = ['user:' + e.after.id];
                return e;
              });
            }
            """;

    @TempDir
    Path dir;

    TestServers servers;

    @BeforeEach
    void servers() {
        servers = TestServers.local();
    }

    @Test
    void aBatchWhoseScriptThrowsGoesToTheDeadLetterStreamAndThePipelineGoesOn() throws Exception {
        Path script = write("fails-on-products.js", FAILS_ON_PRODUCTS);
        String stream = "dlq-it:script";
        Map<String, String> props = props("dlq-script", stream, script);
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            change("UPDATE products SET price = price + 1 WHERE id = 2");
            Awaitility.await().atMost(WAIT).until(() -> jedis.xlen(stream + ":dlq") >= 1);
            StreamEntry letter = jedis.xrange(stream + ":dlq", "-", "+").get(0);
            assertThat(letter.getFields().get("event")).contains("\"table\":\"app.products\"");
            assertThat(letter.getFields().get("error")).contains("cannot handle products", "fails-on-products.js:4");
            assertThat(Meters.registry(app.context()).get("cache_invalidation_events_dead_lettered").counter()
                    .count()).isEqualTo(jedis.xlen(stream + ":dlq"));

            jedis.set("user:2", "cached");
            change("UPDATE users SET name = CONCAT(name, '.') WHERE id = 2");
            Awaitility.await().atMost(WAIT).until(() -> !jedis.exists("user:2"));
        }
    }

    @Test
    void withPolicyFailTheRouteStopsAndTheBatchIsReadAgainAfterTheFix() throws Exception {
        Path script = write("fails-on-products.js", FAILS_ON_PRODUCTS);
        String stream = "dlq-it:fail";
        Map<String, String> props = props("dlq-fail", stream, script);
        props.put("script.onFailure", "fail");
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            change("UPDATE products SET price = price + 1 WHERE id = 1");
            Awaitility.await().atMost(WAIT).until(
                    () -> app.context().getRouteController().getRouteStatus("cdc-to-stream") == ServiceStatus.Stopped);
            assertThat(jedis.exists(stream + ":dlq")).isFalse();
        }
        write("fails-on-products.js", """
                function processBatch(events) {
                  return events.map(function (e) { e.after._cache_keys = ['fixed:' + e.after.id]; return e; });
                }
                """);
        try (Jedis jedis = servers.redis()) {
            jedis.set("fixed:1", "cached");
        }
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            Awaitility.await().atMost(WAIT).until(() -> !jedis.exists("fixed:1"));
        }
    }

    @Test
    void aChangedScriptIsUsedFromTheNextBatchOn() throws Exception {
        Path script = write("versioned.js", versioned("v1"));
        String stream = "dlq-it:reload";
        Map<String, String> props = props("dlq-reload", stream, script);
        props.put("script.reloadCheckMs", "100");
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            jedis.set("v1:1", "cached");
            change("UPDATE users SET name = CONCAT(name, '.') WHERE id = 1");
            Awaitility.await().atMost(WAIT).until(() -> !jedis.exists("v1:1"));

            write("versioned.js", versioned("v2"));
            Files.setLastModifiedTime(script, FileTime.from(Instant.now().plusSeconds(5)));
            Thread.sleep(300);
            jedis.set("v1:1", "cached");
            jedis.set("v2:1", "cached");
            change("UPDATE users SET name = CONCAT(name, '.') WHERE id = 1");
            Awaitility.await().atMost(WAIT).until(() -> !jedis.exists("v2:1"));
            assertThat(jedis.exists("v1:1")).isTrue();
        }
    }

    @Test
    void aStreamEntryThatIsNotAnEventIsDeadLetteredWithItsReasonAndTheWorkerGoesOn() throws Exception {
        String stream = "dlq-it:worker";
        try (Jedis jedis = servers.redis()) {
            jedis.del(stream, stream + ":dlq");
        }
        Map<String, String> props = props("dlq-worker", stream, Path.of("routes/cache-keys.js"));
        try (RunningApp worker = RunningApp.start(RunningApp.WORKER, props); Jedis jedis = servers.redis()) {
            StreamProbe probe = new StreamProbe(servers, stream, "cache-workers");
            probe.add(Map.of("event", "this is not json"));
            probe.add(Map.of("event", "{\"op\":\"u\",\"table\":\"app.users\",\"after\":{\"id\":1,\"_cache_keys\":[42]}}"));
            jedis.set("still:works", "cached");
            probe.add(Map.of("event", "{\"op\":\"u\",\"table\":\"app.users\",\"after\":{\"id\":1,\"_cache_keys\":[\"still:works\"]}}"));
            probe.awaitDrained(WAIT);

            List<StreamEntry> letters = jedis.xrange(stream + ":dlq", "-", "+");
            assertThat(letters).hasSize(2);
            assertThat(letters.get(0).getFields()).containsEntry("event", "this is not json").containsKey("original_id");
            assertThat(letters.get(0).getFields().get("error")).contains("not JSON");
            assertThat(letters.get(1).getFields().get("error")).contains("not a non-empty string");
            assertThat(jedis.exists("still:works")).isFalse();
        }
    }

    private Map<String, String> props(String name, String stream, Path script) {
        Map<String, String> props = RunningApp.defaults(servers, name, dir.resolve(name));
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", stream + ":dlq");
        props.put("script.file", script.toString());
        try (Jedis jedis = servers.redis()) {
            jedis.del(stream, stream + ":dlq");
        }
        return props;
    }

    private static String versioned(String version) {
        return "function processBatch(events) {\n"
                + "  return events.map(function (e) { e.after._cache_keys = ['" + version + ":' + e.after.id]; return e; });\n"
                + "}\n";
    }

    private Path write(String name, String content) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    private void change(String sql) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql);
        }
    }
}
