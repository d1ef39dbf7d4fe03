package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * {@code worker.redeleteAfterMs}: a key filled again after the first delete (a reader that read the old row before
 * the change) is deleted by the second delete, even when the worker is killed (SIGKILL) between the two.
 */
class RedeleteIT {

    private static final String STREAM = "redelete-it:invalidations";
    private static final String KEY = "redelete-it:user:1";
    private static final String CONTROL = "redelete-it:user:2";
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final long REDELETE_AFTER_MS = 4000;

    @Test
    void theSecondDeleteHappensAfterAKillBetweenTheTwoDeletes() throws Exception {
        TestServers servers = TestServers.local();
        StreamProbe probe = new StreamProbe(servers, STREAM, "cache-workers");
        try (Jedis jedis = servers.redis()) {
            jedis.del(STREAM, KEY, CONTROL);
            jedis.set(KEY, "cached");
            jedis.set(CONTROL, "cached");
        }
        try (AppProcess first = worker(servers, 0)) {
            first.awaitLine("reading stream " + STREAM, STARTUP);
            try (Jedis jedis = servers.redis()) {
                jedis.xadd(STREAM, StreamEntryID.NEW_ENTRY, Map.of("event", "{\"op\":\"u\",\"table\":\"app.users\","
                        + "\"before\":null,\"after\":{\"id\":1,\"_cache_keys\":[\"" + KEY + "\"]},\"tags\":[]}"));
                Awaitility.await("first delete").atMost(Duration.ofSeconds(20)).until(() -> !jedis.exists(KEY));
                // a reader that read the row before the change fills the cache with the old value
                jedis.set(KEY, "stale");
                assertThat(pending(jedis)).as("entry owing its second delete is not acknowledged").isEqualTo(1);
                first.kill();
                Thread.sleep(REDELETE_AFTER_MS + 1000);
                assertThat(jedis.get(KEY)).as("nobody deleted the stale value while the worker was down").isEqualTo("stale");
                assertThat(pending(jedis)).isEqualTo(1);
            }
        }
        int port = LocalRedis.freePort();
        try (AppProcess second = worker(servers, port); Jedis jedis = servers.redis()) {
            second.awaitLine("reading stream " + STREAM, STARTUP);
            Awaitility.await("the pending entry processed again after the restart").atMost(Duration.ofSeconds(20))
                    .until(() -> !jedis.exists(KEY));
            jedis.set(KEY, "stale again");
            Awaitility.await("the second delete").atMost(Duration.ofMillis(REDELETE_AFTER_MS + 10_000))
                    .until(() -> !jedis.exists(KEY));
            probe.awaitDrained(Duration.ofSeconds(10));
            assertThat(jedis.exists(CONTROL)).isTrue();
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/observe/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("cache_invalidation_keys_redeleted_total(\\{[^}]*\\})? 1\\.0")
                    .contains("redis_stream_entries_awaiting_redelete");
        } finally {
            try (Jedis jedis = servers.redis()) {
                jedis.del(STREAM, KEY, CONTROL);
            }
        }
    }

    private static long pending(Jedis jedis) {
        return jedis.xpending(STREAM, "cache-workers").getTotal();
    }

    /** A worker process with a fixed consumer name, so that the restarted one finds its own pending entries. */
    private static AppProcess worker(TestServers servers, int managementPort) throws Exception {
        Map<String, String> props = new java.util.HashMap<>(Map.of("stream.key", STREAM, "worker.consumerName",
                "redelete-worker", "worker.redeleteAfterMs", Long.toString(REDELETE_AFTER_MS), "worker.blockMs", "500"));
        if (managementPort > 0) {
            props.put("camel.management.port", Integer.toString(managementPort));
        }
        return AppProcess.jar("worker", props, Map.of("REDIS_URI", servers.redisUri()));
    }
}
