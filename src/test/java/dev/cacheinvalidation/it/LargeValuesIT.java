package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Rows with large values (an article's body of megabytes) at a small heap: the pipeline keeps every value bounded
 * (cdc.maxValueLength), so a transaction of such rows ends in the stream instead of an OutOfMemoryError that
 * comes back at every restart.
 */
class LargeValuesIT {

    private static final int MB = 1024 * 1024;
    private static final int ROWS = 300;
    private static final List<String> SMALL_HEAP = List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError");

    @TempDir
    Path dataDir;

    @BeforeAll
    static void articlesOfOneMegabyte() throws Exception {
        try (Connection db = TestServers.local().admin(); Statement statement = db.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS articles (id INT PRIMARY KEY, body LONGTEXT)");
            statement.execute("SET GLOBAL max_allowed_packet = " + (128 * MB));
            statement.execute("DELETE FROM articles");
            for (int id = 1; id <= ROWS; id++) {
                statement.addBatch("INSERT INTO articles VALUES (" + id + ", REPEAT('a', " + MB + "))");
                if (id % 20 == 0) {
                    statement.executeBatch();
                }
            }
        }
    }

    @Test
    void oneUpdateOfThreeHundredRowsOfOneMegabyteReachesTheStreamAtA256MbHeap() throws Exception {
        String stream = "large-values-it:rows";
        try (AppProcess app = pipeline("large-values-rows", stream); Jedis jedis = TestServers.local().redis()) {
            long start = System.nanoTime();
            update("UPDATE articles SET body = REPEAT('b', " + MB + ")");
            Awaitility.await("every row's event in the stream").atMost(Duration.ofSeconds(150))
                    .pollInterval(Duration.ofMillis(500)).until(() -> !app.isAlive() || jedis.xlen(stream) >= ROWS);
            System.out.printf("%d rows of 1 MB in the stream %.1f s after the UPDATE%n", ROWS,
                    (System.nanoTime() - start) / 1e9);
            assertOutcome(app, jedis, stream, ROWS);
            StreamEntry first = jedis.xrange(stream, "-", "+", 1).get(0);
            assertThat(first.getFields().get("event")).contains("...(truncated, length " + MB + ")");
        }
    }

    @Test
    void oneRowOfFortyEightMegabytesReachesTheStreamAtA256MbHeap() throws Exception {
        String stream = "large-values-it:row";
        try (AppProcess app = pipeline("large-values-row", stream); Jedis jedis = TestServers.local().redis()) {
            update("UPDATE articles SET body = REPEAT('c', " + 48 * MB + ") WHERE id = 1");
            Awaitility.await("the row's event in the stream").atMost(Duration.ofSeconds(150))
                    .pollInterval(Duration.ofMillis(500)).until(() -> !app.isAlive() || jedis.xlen(stream) >= 1);
            assertOutcome(app, jedis, stream, 1);
        }
    }

    private AppProcess pipeline(String name, String stream) throws Exception {
        Map<String, String> props = RunningApp.defaults(TestServers.local(), name, dataDir);
        props.put("cdc.tables", "app.articles");
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", stream + ":dlq");
        try (Jedis jedis = TestServers.local().redis()) {
            jedis.del(stream, stream + ":dlq");
        }
        AppProcess app = AppProcess.jar(SMALL_HEAP, "pipeline", props, Map.of());
        app.awaitLine("Connected to binlog", Duration.ofSeconds(90));
        return app;
    }

    private static void update(String sql) throws Exception {
        try (Connection db = TestServers.local().admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql);
        }
    }

    private static void assertOutcome(AppProcess app, Jedis jedis, String stream, int events) {
        assertThat(app.isAlive()).as("the pipeline is alive:\n" + app.tail(40)).isTrue();
        assertThat(app.ranOutOfMemory()).isFalse();
        assertThat(jedis.xlen(stream)).isEqualTo(events);
        assertThat(jedis.xlen(stream + ":dlq")).as("dead letters").isZero();
    }
}
