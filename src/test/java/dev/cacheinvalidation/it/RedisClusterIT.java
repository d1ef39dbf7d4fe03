package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.offsets.RedisUriSchemaHistory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.MigrateParams;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The cache on a 3-master Redis Cluster: keys of one change hash to different slots and masters, and all of them
 * go; with the stream standalone, and with the stream, the binlog position and the schema history on the cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisClusterIT {

    private TestServers servers;
    private LocalRedisCluster cluster;

    @TempDir
    Path dataDir;

    @BeforeAll
    void startCluster() throws Exception {
        servers = TestServers.local();
        cluster = LocalRedisCluster.start(Files.createTempDirectory(Path.of("target"), "redis-cluster-"), 3, 0);
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void seedScenarioDeletesEveryKeyOnTheClusterWhileTheStreamIsStandalone() throws Exception {
        String newEmail = "alice.cluster@example.com";
        List<String> keys = SeedScenario.aliceKeys(newEmail);
        Set<Integer> slots = new HashSet<>();
        keys.forEach(key -> slots.add(JedisClusterCRC16.getSlot(key)));
        assertThat(slots).as("slots of alice's keys").hasSizeGreaterThan(2);

        Map<String, String> props = RunningApp.defaults(servers, "cluster-seed-it", dataDir.resolve("seed"));
        // one node named: the cluster is detected and its other masters found
        props.put("cache.uri", cluster.uriOfOneNode());
        SeedScenario.resetAlice(servers);
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); JedisCluster cache = cluster.client()) {
            for (String key : keys) {
                cache.set(key, "cached");
            }
            for (String key : SeedScenario.CONTROL) {
                cache.set(key, "cached");
            }
            changeAliceEmail(newEmail);
            Awaitility.await("alice's keys deleted on the cluster").atMost(Duration.ofSeconds(30))
                    .until(() -> keys.stream().noneMatch(cache::exists));
            assertThat(SeedScenario.CONTROL).allSatisfy(key -> assertThat(cache.exists(key)).as(key).isTrue());
        } finally {
            SeedScenario.resetAlice(servers);
        }
    }

    @Test
    void thousandsOfChangesEndInDeletesOnEveryMasterWithEverythingOnTheCluster() throws Exception {
        UserInserts users = new UserInserts(3000);
        List<String> keys = users.allKeys();
        List<String> control = users.controlKeys(200);
        String name = "cluster-all-it";
        Map<String, String> props = RunningApp.defaults(servers, name, dataDir.resolve("all"));
        props.put("redis.uri", cluster.uri());
        props.put("cache.uri", cluster.uri());
        props.put("cdc.offsetStore", "redis");
        props.put("cdc.schemaHistory", RedisUriSchemaHistory.class.getName());
        try (JedisCluster redis = cluster.client()) {
            setAll(redis, keys);
            setAll(redis, control);
            assertThat(cluster.masters()).hasSize(3).allSatisfy(master -> {
                try (var jedis = master.client()) {
                    assertThat(jedis.dbSize()).as("keys on master " + master.port()).isGreaterThan(1000);
                }
            });
            try (RunningApp app = RunningApp.start(RunningApp.ALL, props)) {
                users.insertAll(servers, 25);
                Awaitility.await("every key of 3000 inserts deleted").atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(500)).until(() -> countExisting(redis, keys) == 0);
                assertThat(countExisting(redis, control)).as("control keys left").isEqualTo(control.size());
                Awaitility.await("stream drained").atMost(Duration.ofSeconds(30)).until(() ->
                        redis.xpending("cache:invalidations", "cache-workers").getTotal() == 0);
            }
            assertThat(redis.hgetAll(name + ":offsets")).as("binlog position on the cluster").isNotEmpty();
            assertThat(redis.xlen(name + ":schema-history")).as("schema history on the cluster").isPositive();
        } finally {
            users.deleteRows(servers);
        }
    }

    @Test
    void theDelayedSecondDeleteReachesTheCluster() throws Exception {
        List<String> keys = UserInserts.keysOf(42);
        String stream = "cluster-redelete-it:invalidations";
        Map<String, String> props = RunningApp.defaults(servers, "cluster-redelete-it", dataDir.resolve("redelete"));
        props.put("cache.uri", cluster.uri());
        props.put("stream.key", stream);
        props.put("worker.redeleteAfterMs", "1500");
        try (RunningApp worker = RunningApp.start(RunningApp.WORKER, props); JedisCluster cache = cluster.client();
                var jedis = servers.redis()) {
            setAll(cache, keys);
            jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("event",
                    "{\"op\":\"c\",\"table\":\"app.users\",\"before\":null,\"after\":{\"id\":42,\"_cache_keys\":"
                            + new ObjectMapper().writeValueAsString(keys) + "},\"tags\":[]}"));
            Awaitility.await("first delete").atMost(Duration.ofSeconds(20)).until(() -> countExisting(cache, keys) == 0);
            setAll(cache, keys);
            Awaitility.await("second delete").atMost(Duration.ofSeconds(20)).until(() -> countExisting(cache, keys) == 0);
            new StreamProbe(servers, stream, "cache-workers").awaitDrained(Duration.ofSeconds(10));
        } finally {
            try (var jedis = servers.redis()) {
                jedis.del(stream);
            }
        }
    }

    @Test
    void aSlotMovedToAnotherMasterWhileTheWorkerRunsIsFollowed() throws Exception {
        String stream = "cluster-moved-it:invalidations";
        Map<String, String> props = RunningApp.defaults(servers, "cluster-moved-it", dataDir.resolve("moved"));
        props.put("cache.uri", cluster.uri());
        props.put("stream.key", stream);
        String warmUp = "moved-it:warm-up";
        String moved = "moved-it:user:" + System.nanoTime();
        try (RunningApp worker = RunningApp.start(RunningApp.WORKER, props); JedisCluster cache = cluster.client();
                var jedis = servers.redis()) {
            // the worker learns the slot map with a first delete
            cache.set(warmUp, "cached");
            jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("event", eventFor(warmUp)));
            Awaitility.await("warm-up key deleted").atMost(Duration.ofSeconds(20)).until(() -> !cache.exists(warmUp));

            cache.set(moved, "cached");
            int slot = JedisClusterCRC16.getSlot(moved);
            LocalRedis source = cluster.masterServing(slot);
            LocalRedis target = cluster.masters().stream().filter(node -> node != source).findFirst().orElseThrow();
            moveSlot(slot, source, target);
            try (var targetNode = target.client()) {
                assertThat(targetNode.exists(moved)).as("key now on the other master").isTrue();
            }

            jedis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("event", eventFor(moved)));
            Awaitility.await("key deleted on its new master").atMost(Duration.ofSeconds(20)).until(() -> {
                try (var targetNode = target.client()) {
                    return !targetNode.exists(moved);
                }
            });
            new StreamProbe(servers, stream, "cache-workers").awaitDrained(Duration.ofSeconds(10));
        } finally {
            try (var jedis = servers.redis()) {
                jedis.del(stream);
            }
        }
    }

    @Test
    void anEntryNoWorkerCanHandleIsDeadLetteredOnTheClusterAndTheWorkerGoesOn() throws Exception {
        String stream = "cluster-dlq-it:invalidations";
        String deadLetters = stream + ":dlq";
        assertThat(JedisClusterCRC16.getSlot(stream)).as("the move touches two slots")
                .isNotEqualTo(JedisClusterCRC16.getSlot(deadLetters));
        Map<String, String> props = RunningApp.defaults(servers, "cluster-dlq-it", dataDir.resolve("dlq"));
        props.put("redis.uri", cluster.uri());
        props.put("cache.uri", cluster.uri());
        props.put("stream.key", stream);
        props.put("worker.deadLetterStream", deadLetters);
        props.put("worker.maxDeliveries", "2");
        String key = "cluster-dlq-it:user:7";
        try (JedisCluster redis = cluster.client()) {
            redis.del(stream);
            redis.del(deadLetters);
            try (RunningApp worker = RunningApp.start(RunningApp.WORKER, props)) {
                redis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("event", "not json"));
                redis.set(key, "cached");
                redis.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("event", eventFor(key)));
                Awaitility.await("dead letter written").atMost(Duration.ofSeconds(30)).until(() -> redis.xlen(deadLetters) == 1);
                Awaitility.await("the next entry handled").atMost(Duration.ofSeconds(30)).until(() -> !redis.exists(key));
                Awaitility.await("nothing pending").atMost(Duration.ofSeconds(30))
                        .until(() -> redis.xpending(stream, "cache-workers").getTotal() == 0);
                var letter = redis.xrange(deadLetters, "-", "+").get(0);
                assertThat(letter.getFields()).containsEntry("event", "not json").containsEntry("original_stream", stream)
                        .containsKey("error");
            } finally {
                redis.del(stream);
                redis.del(deadLetters);
            }
        }
    }

    private static String eventFor(String key) {
        return "{\"op\":\"u\",\"table\":\"app.users\",\"before\":null,\"after\":{\"id\":1,\"_cache_keys\":[\"" + key
                + "\"]},\"tags\":[]}";
    }

    /** Resharding of one slot, as redis-cli --cluster reshard does it: IMPORTING, MIGRATING, MIGRATE, NODE. */
    private void moveSlot(int slot, LocalRedis source, LocalRedis target) {
        try (var from = source.client(); var to = target.client()) {
            String sourceId = from.clusterMyId();
            String targetId = to.clusterMyId();
            to.clusterSetSlotImporting(slot, sourceId);
            from.clusterSetSlotMigrating(slot, targetId);
            List<String> keys = from.clusterGetKeysInSlot(slot, 1000);
            if (!keys.isEmpty()) {
                from.migrate("127.0.0.1", target.port(), 0, 5000,
                        new MigrateParams(), keys.toArray(String[]::new));
            }
            for (LocalRedis master : cluster.masters()) {
                try (var node = master.client()) {
                    node.clusterSetSlotNode(slot, targetId);
                }
            }
        }
    }

    static void setAll(JedisCluster redis, List<String> keys) {
        for (String key : keys) {
            redis.set(key, "cached");
        }
    }

    static long countExisting(JedisCluster redis, List<String> keys) {
        long count = 0;
        for (String key : keys) {
            if (redis.exists(key)) {
                count++;
            }
        }
        return count;
    }

    private void changeAliceEmail(String email) throws Exception {
        try (var db = servers.admin(); var statement = db.prepareStatement("UPDATE users SET email = ? WHERE id = 1")) {
            statement.setString(1, email);
            statement.executeUpdate();
        }
    }
}
