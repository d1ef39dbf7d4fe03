package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * TRUNCATE and DROP TABLE on real servers end in the deletion of every key the script names for the table. The
 * tables live in a database of their own (named like the example's, which is what the script looks at), so the
 * example tables of the other tests stay as they are.
 */
class TableChangeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DB = "table_change_it";

    @TempDir
    Path dataDir;

    TestServers servers = TestServers.local();

    @BeforeEach
    void createTables() throws Exception {
        sql("CREATE DATABASE IF NOT EXISTS " + DB,
                "CREATE TABLE IF NOT EXISTS " + DB + ".users (id INT PRIMARY KEY, email VARCHAR(100))",
                "CREATE TABLE IF NOT EXISTS " + DB + ".orders (id INT PRIMARY KEY, user_id INT)",
                "CREATE TABLE IF NOT EXISTS " + DB + ".audit (id INT PRIMARY KEY)",
                "REPLACE INTO " + DB + ".users VALUES (1, 'alice@example.com'), (2, 'bob@example.com')",
                "REPLACE INTO " + DB + ".orders VALUES (10, 1)");
    }

    @Test
    void truncateAndDropTableDeleteEveryKeyTheScriptNamesForTheTable() throws Exception {
        try (RunningApp app = RunningApp.start(RunningApp.ALL, properties("table-change-it"))) {
            List<String> userKeys = List.of("user:1", "user:2", "user:email:alice@example.com", "user:1:profile",
                    "user:2:orders");
            List<String> control = List.of("product:1", "inventory:1", "category:1:products");
            set(userKeys);
            set(control);

            sql("TRUNCATE TABLE " + DB + ".users");
            awaitGone(userKeys);

            List<String> orderKeys = List.of("order:10", "order:11", "user:1:orders");
            set(orderKeys);
            sql("DROP TABLE " + DB + ".orders");
            awaitGone(orderKeys);
            assertPresent(control);

            // the pipeline goes on with row changes after the DDL
            set(List.of("user:3"));
            sql("INSERT INTO " + DB + ".users VALUES (3, 'carol@example.com')");
            awaitGone(List.of("user:3"));
            assertPresent(control);
        }
    }

    @Test
    void theOriginalScriptPassesTableChangesOnWithoutKeysAndThePipelineGoesOn() throws Exception {
        Map<String, String> props = properties("table-change-original-it");
        props.put("script.file", "routes/cache-keys.js");
        StreamProbe stream = new StreamProbe(servers, "cache:invalidations", "cache-workers");
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props)) {
            String before = stream.lastId();
            set(List.of("user:1", "user:4"));

            // a table that is not captured changes nothing
            sql("DROP TABLE " + DB + ".audit", "TRUNCATE TABLE " + DB + ".users",
                    "INSERT INTO " + DB + ".users VALUES (4, 'dave@example.com')");
            awaitGone(List.of("user:4"));

            List<JsonNode> events = stream.entriesAfter(before).stream().map(TableChangeIT::event).toList();
            assertThat(events).extracting(e -> e.get("op").asText()).containsExactly("t", "c");
            JsonNode truncate = events.get(0);
            assertThat(truncate.get("table").asText()).isEqualTo(DB + ".users");
            assertThat(truncate.get("before").isNull()).isTrue();
            assertThat(truncate.get("after").isNull()).isTrue();
            assertPresent(List.of("user:1")); // the original script names no keys for it
        }
    }

    private Map<String, String> properties(String name) {
        Map<String, String> props = RunningApp.defaults(servers, name, dataDir);
        props.put("cdc.databases", DB);
        props.put("cdc.tables", DB + ".users," + DB + ".orders");
        return props;
    }

    private static JsonNode event(StreamEntry entry) {
        try {
            return JSON.readTree(entry.getFields().get("event"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void sql(String... statements) throws Exception {
        try (Connection db = servers.admin(); Statement st = db.createStatement()) {
            for (String statement : statements) {
                st.execute(statement);
            }
        }
    }

    private void set(List<String> keys) {
        try (Jedis redis = servers.redis()) {
            keys.forEach(key -> redis.set(key, "cached"));
        }
    }

    private void awaitGone(List<String> keys) {
        Awaitility.await("deleted: " + keys).atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try (Jedis redis = servers.redis()) {
                assertThat(keys).allSatisfy(key -> assertThat(redis.exists(key)).as(key).isFalse());
            }
        });
    }

    private void assertPresent(List<String> keys) {
        try (Jedis redis = servers.redis()) {
            assertThat(keys).allSatisfy(key -> assertThat(redis.exists(key)).as(key).isTrue());
        }
    }
}
