package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.cacheinvalidation.metrics.Meters;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * The stream's safety rules, each on a Redis of its own: a Redis that would evict the stream is refused, a stream
 * deleted under a running worker is reported, and no event, whatever keys or patterns it names, deletes the
 * application's own keys.
 */
class StreamSafetyIT {

    private static final String STREAM = "cache:invalidations";
    private static final String DEAD_LETTERS = "cache:invalidations:dlq";
    private static final String CONNECTOR = "stream-safety-it";

    @TempDir
    Path dir;

    @Test
    void aPipelineOnARedisThatEvictsAnyKeyExitsNamingThePolicyAndTheFixes() throws Exception {
        TestServers servers = TestServers.local();
        try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of("maxmemory 64mb",
                "maxmemory-policy allkeys-lru"));
                AppProcess app = AppProcess.jar("pipeline", Map.of("cdc.dataDir", dir.resolve("data").toString()),
                        Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", "redis://127.0.0.1:" + redis.port()))) {
            assertThat(app.awaitExit(Duration.ofSeconds(90))).as(app.output()).isEqualTo(2);
            assertThat(app.output()).contains("maxmemory-policy allkeys-lru", "noeviction", "CACHE_URI",
                    "redis://127.0.0.1:" + redis.port());
        }
    }

    @Test
    void aVolatilePolicyIsAcceptedAndAChangeToAllkeysWhileRunningTakesReadinessDown() throws Exception {
        try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of("maxmemory 64mb",
                "maxmemory-policy volatile-lru"));
                RunningApp worker = RunningApp.start(RunningApp.WORKER, workerProperties(redis, Map.of(
                        "stream.evictionCheckMs", "200")))) {
            assertThat(readinessDown(worker)).isEmpty();
            try (Jedis jedis = redis.client()) {
                jedis.configSet("maxmemory-policy", "allkeys-lfu");
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(readinessDown(worker)).hasValueSatisfying(result -> assertThat(result.getMessage())
                        .hasValueSatisfying(message -> assertThat(message).contains("allkeys-lfu")));
            });
        }
    }

    @Test
    void aStreamDeletedUnderARunningWorkerIsReportedAndReadingGoesOn() throws Exception {
        try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of());
                RunningApp worker = RunningApp.start(RunningApp.WORKER, workerProperties(redis, Map.of(
                        "worker.blockMs", "200")));
                Jedis jedis = redis.client()) {
            jedis.set("user:1", "cached");
            jedis.xadd(STREAM, StreamEntryID.NEW_ENTRY, Map.of("event", event("user:1")));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !jedis.exists("user:1"));
            jedis.del(STREAM);
            jedis.set("user:2", "cached");
            jedis.xadd(STREAM, StreamEntryID.NEW_ENTRY, Map.of("event", event("user:2")));
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !jedis.exists("user:2"));
            assertThat(Meters.registry(worker.context()).get("redis_stream_group_vanished").counter().count())
                    .isEqualTo(1.0);
        }
    }

    @Test
    void patternsThatMatchEverythingDeleteEveryKeyButTheApplicationsOwnAndTheBacklogIsInvalidated() throws Exception {
        int backlog = 10_000;
        try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of()); Jedis jedis = redis.client()) {
            jedis.xgroupCreate(STREAM, "cache-workers", new StreamEntryID(0, 0), true);
            jedis.xadd(DEAD_LETTERS, StreamEntryID.NEW_ENTRY, Map.of("event", event("user:0"), "error", "earlier"));
            jedis.hset(CONNECTOR + ":offsets", "position", "saved");
            jedis.xadd(CONNECTOR + ":schema-history", StreamEntryID.NEW_ENTRY, Map.of("schema", "{}"));
            for (int i = 0; i < 100; i++) {
                jedis.set("other:" + i, "cached");
            }
            var pipeline = jedis.pipelined();
            for (int i = 0; i < backlog; i++) {
                pipeline.set("user:" + i, "cached");
                String keys = i == backlog / 2 ? "\"cache:*\", \"*\", \"" + STREAM + "\", \"user:" + i + "\""
                        : "\"user:" + i + "\"";
                pipeline.xadd(STREAM, StreamEntryID.NEW_ENTRY, Map.of("event", eventWithKeys(keys)));
            }
            pipeline.sync();
            try (RunningApp worker = RunningApp.start(RunningApp.WORKER, workerProperties(redis, Map.of()))) {
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> group(jedis).getLastDeliveredId()
                        .equals(jedis.xrevrange(STREAM, "+", "-", 1).get(0).getID()) && group(jedis).getPending() == 0);
                assertThat(Meters.registry(worker.context()).get("cache_invalidation_own_keys_spared").counter()
                        .count()).isEqualTo(4.0);
            }
            assertThat(jedis.xlen(STREAM)).isEqualTo(backlog);
            assertThat(jedis.xlen(DEAD_LETTERS)).isEqualTo(1);
            assertThat(jedis.hget(CONNECTOR + ":offsets", "position")).isEqualTo("saved");
            assertThat(jedis.xlen(CONNECTOR + ":schema-history")).isEqualTo(1);
            assertThat(jedis.keys("*")).containsExactlyInAnyOrder(STREAM, DEAD_LETTERS, CONNECTOR + ":offsets",
                    CONNECTOR + ":schema-history");
        }
    }

    private static StreamGroupInfo group(Jedis jedis) {
        return jedis.xinfoGroups(STREAM).get(0);
    }

    private Map<String, String> workerProperties(LocalRedis redis, Map<String, String> extra) {
        Map<String, String> props = RunningApp.defaults(TestServers.local(), CONNECTOR, dir.resolve("data"));
        props.put("redis.uri", "redis://127.0.0.1:" + redis.port());
        props.putAll(extra);
        return props;
    }

    /** The worker's readiness check, where it is DOWN (at the default exposure level UP checks are not listed). */
    private static Optional<HealthCheck.Result> readinessDown(RunningApp app) {
        return HealthCheckHelper.invokeReadiness(app.context()).stream()
                .filter(result -> result.getCheck().getId().startsWith("consumer-"))
                .filter(result -> result.getState() == HealthCheck.State.DOWN).findFirst();
    }

    private static String event(String key) {
        return eventWithKeys("\"" + key + "\"");
    }

    private static String eventWithKeys(String keys) {
        return "{\"op\":\"u\",\"table\":\"app.users\",\"after\":{\"_cache_keys\":[" + keys + "]}}";
    }
}
