package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.js.ScriptBatchProcessor;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/** The whole flow on real servers: MariaDB binlog -> pipeline -> Redis stream -> worker -> deleted keys. */
class PipelineIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dataDir;

    static TestServers servers;
    static RunningApp app;
    static StreamProbe stream;
    static ScriptBatchProcessor script;

    @BeforeAll
    static void startApplication() throws Exception {
        servers = TestServers.local();
        Map<String, String> props = RunningApp.defaults(servers, "pipeline-it", dataDir);
        // sessions has no id column: its rows must produce no deletes
        props.put("cdc.tables", "app.users,app.products,app.orders,app.inventory,app.sessions");
        app = RunningApp.start(RunningApp.ALL, props);
        stream = new StreamProbe(servers, "cache:invalidations", "cache-workers");
        script = app.bean("cacheKeyScript", ScriptBatchProcessor.class);
    }

    @AfterAll
    static void stopApplication() {
        if (app != null) {
            app.close();
        }
    }

    @Test
    void seedEmailChangeDeletesExactlyTheFiveKeysOfTheUser() throws Exception {
        long userId = insertAndSettle("INSERT INTO users (email, name) VALUES ('carol@example.com', 'Carol')");
        List<String> expected = List.of("user:" + userId, "user:email:carol.new@example.com", "user:email:carol@example.com",
                "user:" + userId + ":orders", "user:" + userId + ":profile");
        List<String> control = List.of("user:" + (userId + 1000), "user:email:someone@example.com",
                "user:" + (userId + 1000) + ":orders", "product:" + userId);
        setKeys(expected);
        setKeys(control);

        applyAndSettle("UPDATE users SET email = 'carol.new@example.com' WHERE id = " + userId);

        assertGone(expected);
        assertPresent(control);
    }

    @Test
    void productInsertUpdateAndDeleteDeleteTheProductKeys() throws Exception {
        long id = insertAndSettle("INSERT INTO products (name, category_id, price) VALUES ('lamp', 77, 19.99)");
        List<String> keys = List.of("product:" + id, "product:" + id + ":details", "category:77:products");
        List<String> control = List.of("product:" + (id + 1000), "category:78:products");
        setKeys(control);

        setKeys(keys);
        applyAndSettle("UPDATE products SET price = 24.50 WHERE id = " + id);
        assertGone(keys);

        setKeys(keys);
        applyAndSettle("DELETE FROM products WHERE id = " + id);
        assertGone(keys);
        assertPresent(control);
    }

    @Test
    void orderAndInventoryChangesDeleteTheirKeys() throws Exception {
        setKeys(List.of("user:4242:orders"));
        long orderId = insertAndSettle("INSERT INTO orders (user_id, total) VALUES (4242, 10.00)");
        assertGone(List.of("user:4242:orders"));

        List<String> orderKeys = List.of("order:" + orderId, "user:4242:orders");
        setKeys(orderKeys);
        applyAndSettle("UPDATE orders SET status = 'paid' WHERE id = " + orderId);
        assertGone(orderKeys);

        long inventoryId = insertAndSettle("INSERT INTO inventory (product_id, quantity) VALUES (9100, 3)");
        List<String> stockKeys = List.of("inventory:9100", "product:9100:stock");
        List<String> control = List.of("inventory:9101", "product:9101:stock", "inventory:" + inventoryId);
        setKeys(stockKeys);
        setKeys(control);
        applyAndSettle("UPDATE inventory SET quantity = quantity - 1 WHERE id = " + inventoryId);
        assertGone(stockKeys);

        setKeys(stockKeys);
        applyAndSettle("DELETE FROM inventory WHERE id = " + inventoryId);
        assertGone(stockKeys);
        assertPresent(control);
    }

    @Test
    void aTransactionOf250RowsArrivesAsOneContiguousRunAndOneBatch() throws Exception {
        settle();
        String before = stream.lastId();
        long batchesBefore = script.getBatches();
        String marker = UUID.randomUUID().toString().substring(0, 8);
        try (Connection db = servers.admin()) {
            db.setAutoCommit(false);
            try (PreparedStatement insert = db.prepareStatement("INSERT INTO orders (user_id, total, status) VALUES (?, ?, ?)")) {
                for (int i = 0; i < 250; i++) {
                    insert.setInt(1, 5000 + i);
                    insert.setBigDecimal(2, new java.math.BigDecimal("1.00"));
                    insert.setString(3, marker);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            db.commit();
        }
        awaitNewEntries(before, 250);

        List<StreamEntry> entries = stream.entriesAfter(before);
        List<JsonNode> events = new ArrayList<>();
        for (StreamEntry entry : entries) {
            events.add(JSON.readTree(entry.getFields().get("event")));
        }
        assertThat(events).hasSize(250);
        assertThat(events).allSatisfy(e -> assertThat(e.path("after").path("status").asText()).isEqualTo(marker));
        assertThat(events.stream().map(e -> e.path("tx").asText()).distinct()).hasSize(1);
        List<Integer> userIds = events.stream().map(e -> e.path("after").path("user_id").asInt()).toList();
        assertThat(userIds).isSorted().first().isEqualTo(5000);
        assertThat(script.getBatches() - batchesBefore).isEqualTo(1);
    }

    @Test
    void tablesOutsideTheListAndRowsWithoutIdDeleteNothing() throws Exception {
        List<String> control = List.of("user:1", "session:abc", "audit:1");
        setKeys(control);
        settle();
        String before = stream.lastId();

        execute("INSERT INTO audit_log (message) VALUES ('outside the table list')");
        execute("INSERT INTO sessions (token, user_id) VALUES ('" + UUID.randomUUID() + "', 1)");
        awaitNewEntries(before, 1);

        List<StreamEntry> entries = stream.entriesAfter(before);
        assertThat(entries).hasSize(1);
        JsonNode event = JSON.readTree(entries.get(0).getFields().get("event"));
        assertThat(event.path("table").asText()).isEqualTo("app.sessions");
        assertThat(event.path("after").path("_cache_keys")).isEmpty();
        assertPresent(control);
    }

    @Test
    void aPatternKeyDeletesEveryMatchingKey() throws Exception {
        List<String> matching = List.of("report:7:daily", "report:7:weekly", "report:7:x:y");
        List<String> control = List.of("report:8:daily", "report:70", "report:7");
        setKeys(matching);
        setKeys(control);

        stream.add(Map.of("event", "{\"op\":\"u\",\"table\":\"app.reports\",\"before\":null,"
                + "\"after\":{\"id\":7,\"_cache_keys\":[\"report:7:*\"]},\"tags\":[]}"));
        stream.awaitDrained(WAIT);

        assertGone(matching);
        assertPresent(control);
    }

    // --- helpers

    /** Runs an INSERT, waits until its event went through, and returns the new row id. */
    private long insertAndSettle(String sql) throws Exception {
        String before = stream.lastId();
        long id;
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql, Statement.RETURN_GENERATED_KEYS);
            try (ResultSet keys = statement.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
        }
        awaitNewEntries(before, 1);
        return id;
    }

    private void applyAndSettle(String sql) throws Exception {
        String before = stream.lastId();
        execute(sql);
        awaitNewEntries(before, 1);
    }

    /** Waits until the change is in the stream, then until the worker has handled everything. */
    private static void awaitNewEntries(String afterId, int count) {
        Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> stream.entriesAfter(afterId).size() >= count);
        settle();
    }

    private static void settle() {
        stream.awaitDrained(WAIT);
    }

    private static void execute(String sql) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql);
        }
    }

    private static void setKeys(List<String> keys) {
        try (Jedis jedis = servers.redis()) {
            for (String key : keys) {
                jedis.set(key, "cached");
            }
        }
    }

    private static void assertGone(List<String> keys) {
        try (Jedis jedis = servers.redis()) {
            for (String key : keys) {
                assertThat(jedis.exists(key)).as("key %s deleted", key).isFalse();
            }
        }
    }

    private static void assertPresent(List<String> keys) {
        try (Jedis jedis = servers.redis()) {
            for (String key : keys) {
                assertThat(jedis.exists(key)).as("key %s kept", key).isTrue();
            }
        }
    }
}
