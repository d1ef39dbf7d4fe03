package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * An online schema change as gh-ost and pt-online-schema-change finish one: a shadow table with the new schema,
 * filled, then swapped in by one RENAME TABLE, the old one dropped. The pipeline goes on capturing the table under
 * its name, with the new column, and its DDL does not trouble the batching.
 */
class TableSwapIT {

    @TempDir
    Path dataDir;

    @Test
    void changesAfterASwapByRenameAreCapturedWithTheNewSchemaAndWithoutWarnings() throws Exception {
        TestServers servers = TestServers.local();
        String stream = "table-swap-it:invalidations";
        sql(servers, "DROP TABLE IF EXISTS swapped", "DROP TABLE IF EXISTS _swapped_gho", "DROP TABLE IF EXISTS _swapped_del",
                "CREATE TABLE swapped (id INT PRIMARY KEY, name VARCHAR(64))",
                "INSERT INTO swapped VALUES (1, 'one'), (2, 'two')");
        Map<String, String> props = RunningApp.defaults(servers, "table-swap-it", dataDir);
        props.put("cdc.tables", "app.swapped");
        props.put("stream.key", stream);
        try (Jedis jedis = servers.redis()) {
            jedis.del(stream);
            try (AppProcess pipeline = AppProcess.jar("pipeline", props, Map.of())) {
                pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(90));
                sql(servers, "UPDATE swapped SET name = 'one before' WHERE id = 1");
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jedis.xlen(stream) == 1);

                sql(servers, "CREATE TABLE _swapped_gho (id INT PRIMARY KEY, name VARCHAR(64), note VARCHAR(64))",
                        "INSERT INTO _swapped_gho (id, name) SELECT id, name FROM swapped",
                        "RENAME TABLE swapped TO _swapped_del, _swapped_gho TO swapped",
                        "DROP TABLE _swapped_del",
                        "UPDATE swapped SET name = 'two after', note = 'new column' WHERE id = 2");

                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jedis.xlen(stream) >= 2);
                Thread.sleep(2_000);
                String last = jedis.xrevrange(stream, "+", "-", 1).get(0).getFields().get("event");
                assertThat(last).contains("\"table\":\"app.swapped\"", "\"name\":\"two after\"", "\"note\":\"new column\"");
                assertThat(pipeline.output()).doesNotContain("had no END", " ERROR ");
                assertThat(pipeline.isAlive()).isTrue();
            }
        } finally {
            sql(servers, "DROP TABLE IF EXISTS swapped");
        }
    }

    private static void sql(TestServers servers, String... statements) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }
}
