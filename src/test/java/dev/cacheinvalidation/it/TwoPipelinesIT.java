package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Two pipelines with their own {@code cdc.name} in one JVM: each has its own offset gate, so stopping one neither
 * releases nor holds back the other's binlog position, and a change made while one is stopped reaches its stream
 * after it starts again.
 */
class TwoPipelinesIT {

    @TempDir
    Path firstDir;

    @TempDir
    Path secondDir;

    @Test
    void eachPipelineSavesItsOwnPositionBehindItsOwnStream() throws Exception {
        TestServers servers = TestServers.local();
        Map<String, String> first = pipeline(servers, "two-pipelines-first", firstDir);
        Map<String, String> second = pipeline(servers, "two-pipelines-second", secondDir);
        StreamProbe firstStream = new StreamProbe(servers, first.get("stream.key"), "unused");
        StreamProbe secondStream = new StreamProbe(servers, second.get("stream.key"), "unused");
        String firstStart = firstStream.lastId();
        String secondStart = secondStream.lastId();

        try (RunningApp keepsRunning = RunningApp.start(RunningApp.PIPELINE, second)) {
            try (RunningApp stopped = RunningApp.start(RunningApp.PIPELINE, first)) {
                updatePrice(1);
                awaitProduct(firstStream, firstStart, "product:1");
                awaitProduct(secondStream, secondStart, "product:1");
            }
            String firstAfterStop = firstStream.lastId();
            updatePrice(2);
            awaitProduct(secondStream, secondStart, "product:2");
            assertThat(firstStream.entriesAfter(firstAfterStop)).isEmpty();

            try (RunningApp restarted = RunningApp.start(RunningApp.PIPELINE, first)) {
                awaitProduct(firstStream, firstAfterStop, "product:2");
            }
        }
    }

    private static Map<String, String> pipeline(TestServers servers, String name, Path dataDir) {
        Map<String, String> props = RunningApp.defaults(servers, name, dataDir);
        props.put("stream.key", "cache:" + name);
        props.put("stream.deadLetterKey", "cache:" + name + ":dead");
        return props;
    }

    private static void updatePrice(int productId) throws Exception {
        try (Connection db = TestServers.local().admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = " + productId);
        }
    }

    private static void awaitProduct(StreamProbe stream, String afterId, String key) {
        Awaitility.await(key + " in the stream").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> mentions(stream.entriesAfter(afterId), key));
    }

    private static boolean mentions(List<StreamEntry> entries, String key) {
        return entries.stream().anyMatch(entry -> entry.getFields().values().stream().anyMatch(value -> value.contains(key)));
    }
}
