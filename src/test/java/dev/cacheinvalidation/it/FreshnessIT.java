package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.stream.StreamClient;
import dev.cacheinvalidation.stream.StreamMeters;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * Freshness you can watch: a change left unacknowledged longer than {@code worker.maxChangeAgeMs} takes the worker's
 * readiness DOWN, and its acknowledgement brings it back; the oldest unacknowledged entry is found whether it is
 * pending or not read yet.
 */
class FreshnessIT {

    private static final String GROUP = "cache-workers";

    @TempDir
    Path dataDir;

    @Test
    void aChangeLeftUnacknowledgedPastTheBoundTakesReadinessDownUntilItIsAcknowledged() throws Exception {
        TestServers servers = TestServers.local();
        String stream = "freshness-it:age:" + System.nanoTime();
        Map<String, String> props = RunningApp.defaults(servers, "freshness-it-age", dataDir);
        props.put("stream.key", stream);
        props.put("worker.maxChangeAgeMs", "3000");
        try (Jedis jedis = servers.redis()) {
            // another consumer of the group reads the entry and never acknowledges it: a worker stuck on it (the
            // worker would take it over only after worker.claimIdleMs, a minute)
            jedis.xgroupCreate(stream, GROUP, new StreamEntryID(0, 0), true);
            StreamEntryID stuck = jedis.xadd(stream, StreamEntryID.NEW_ENTRY,
                    Map.of("event", "{\"table\":\"app.users\",\"after\":{\"_cache_keys\":[\"user:1\"]}}"));
            jedis.xreadGroup(GROUP, "stuck-consumer", XReadGroupParams.xReadGroupParams().count(1),
                    Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
            try (RunningApp worker = RunningApp.start(RunningApp.WORKER, props)) {
                Awaitility.await("readiness DOWN").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(readinessDown(worker)).hasValueSatisfying(result -> assertThat(result.getMessage())
                                .hasValueSatisfying(message -> assertThat(message)
                                        .contains("the oldest entry group " + GROUP + " has not acknowledged")
                                        .contains("(more than 3000)"))));
                assertThat(StreamMeters.registry(worker.context()).get("redis_stream_group_oldest_unacked_age_seconds")
                        .tag("stream", stream).gauge().value()).isGreaterThan(3.0);

                jedis.xack(stream, GROUP, stuck);
                Awaitility.await("readiness UP again").atMost(Duration.ofSeconds(30))
                        .until(() -> readinessDown(worker).isEmpty());
            }
        }
    }

    @Test
    void theOldestUnacknowledgedEntryIsTheOldestPendingOneElseTheFirstNotReadYet() {
        TestServers servers = TestServers.local();
        String stream = "freshness-it:stats:" + System.nanoTime();
        try (Jedis jedis = servers.redis();
                StreamClient client = new StreamClient(RedisAddress.parse(servers.redisUri()), 5000, "freshness-it", 2)) {
            // entry ids of our choosing: their milliseconds are the times the stats report
            jedis.xgroupCreate(stream, GROUP, new StreamEntryID(0, 0), true);
            for (long ms = 1000; ms <= 3000; ms += 1000) {
                jedis.xadd(stream, new StreamEntryID(ms, 0), Map.of("event", "{}"));
            }
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("none read yet").isEqualTo(1000);

            jedis.xreadGroup(GROUP, "c", XReadGroupParams.xReadGroupParams().count(2),
                    Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("two pending").isEqualTo(1000);

            jedis.xack(stream, GROUP, new StreamEntryID(1000, 0));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("one pending").isEqualTo(2000);

            jedis.xack(stream, GROUP, new StreamEntryID(2000, 0));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("none pending, one not read").isEqualTo(3000);

            jedis.xreadGroup(GROUP, "c", XReadGroupParams.xReadGroupParams().count(1),
                    Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
            jedis.xack(stream, GROUP, new StreamEntryID(3000, 0));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("all acknowledged").isEqualTo(-1);
        }
    }

    /** The worker's readiness check, where it is DOWN (at the default exposure level UP checks are not listed). */
    private static Optional<HealthCheck.Result> readinessDown(RunningApp app) {
        return HealthCheckHelper.invokeReadiness(app.context()).stream()
                .filter(result -> result.getCheck().getId().startsWith("consumer-"))
                .filter(result -> result.getState() == HealthCheck.State.DOWN).findFirst();
    }
}
