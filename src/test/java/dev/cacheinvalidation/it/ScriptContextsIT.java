package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.resps.StreamEntry;

/**
 * With several script contexts (script.contexts=3) batches are evaluated at once, and the stream still gets every
 * change of a burst of transactions exactly once, in binlog order, each transaction's entries together.
 */
class ScriptContextsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DB = "script_contexts_it";
    private static final int TRANSACTIONS = 60;
    private static final int ROWS = 10;

    @TempDir
    Path dataDir;

    TestServers servers = TestServers.local();

    @Test
    void batchesEvaluatedOnSeveralContextsReachTheStreamInBinlogOrder() throws Exception {
        sql("CREATE DATABASE IF NOT EXISTS " + DB,
                "CREATE TABLE IF NOT EXISTS " + DB + ".users (id INT PRIMARY KEY, email VARCHAR(100))");
        Map<String, String> props = RunningApp.defaults(servers, "script-contexts-it", dataDir);
        props.put("cdc.databases", DB);
        props.put("cdc.tables", DB + ".users");
        props.put("script.contexts", "3");
        // small batches, so that several are queued for the contexts at once
        props.put("batch.maxEvents", String.valueOf(ROWS));
        StreamProbe stream = new StreamProbe(servers, "cache:invalidations", "cache-workers");
        try (RunningApp app = RunningApp.start(RunningApp.PIPELINE, props)) {
            String before = stream.lastId();
            int firstId = (int) (System.currentTimeMillis() % 1_000_000) * 100;
            try (Connection db = servers.admin();
                    PreparedStatement insert = db.prepareStatement("INSERT INTO " + DB + ".users VALUES (?, ?)")) {
                db.setAutoCommit(false);
                for (int t = 0; t < TRANSACTIONS; t++) {
                    for (int r = 0; r < ROWS; r++) {
                        int id = firstId + t * ROWS + r;
                        insert.setInt(1, id);
                        insert.setString(2, "user" + id + "@example.com");
                        insert.executeUpdate();
                    }
                    db.commit();
                }
            }

            Awaitility.await("all changes in the stream").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> stream.entriesAfter(before).size() >= TRANSACTIONS * ROWS);
            List<Integer> ids = new ArrayList<>();
            for (StreamEntry entry : stream.entriesAfter(before)) {
                JsonNode event = JSON.readTree(entry.getFields().get("event"));
                assertThat(event.at("/after/_cache_keys").isArray()).as("went through the script").isTrue();
                ids.add(event.at("/after/id").asInt());
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < TRANSACTIONS * ROWS; i++) {
                expected.add(firstId + i);
            }
            assertThat(ids).as("every change once, in binlog order").containsExactlyElementsOf(expected);
        }
    }

    private void sql(String... statements) throws Exception {
        try (Connection db = servers.admin(); Statement st = db.createStatement()) {
            for (String statement : statements) {
                st.execute(statement);
            }
        }
    }
}
