package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import dev.cacheinvalidation.offsets.RedisUriSchemaHistory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A Redis master killed (SIGKILL) while changes flow, stream and cache on it: its replica is promoted, the
 * pipeline and the worker ride it out, and every key of every change ends deleted, no control key touched.
 */
class RedisFailoverIT {

    private static final int CHANGES = 2000;

    @TempDir
    Path dataDir;

    @Test
    void clusterMasterFailoverUnderLoadLeavesNoKeyBehind() throws Exception {
        TestServers servers = TestServers.local();
        UserInserts users = new UserInserts(CHANGES);
        try (LocalRedisCluster cluster = LocalRedisCluster.start(
                Files.createTempDirectory(Path.of("target"), "redis-cluster-failover-"), 3, 1);
                JedisCluster redis = cluster.client()) {
            Map<String, String> props = RunningApp.defaults(servers, "cluster-failover-it", dataDir);
            everythingOn(props, cluster.uri());
            List<String> keys = users.allKeys();
            List<String> control = users.controlKeys(200);
            RedisClusterIT.setAll(redis, keys);
            RedisClusterIT.setAll(redis, control);
            cluster.awaitHealthy(3);
            try (RunningApp app = RunningApp.start(RunningApp.ALL, props)) {
                // the master of the stream's slot: the pipeline, the worker and a third of the cache lose it at once
                int streamSlot = JedisClusterCRC16.getSlot("cache:invalidations");
                LocalRedis streamMaster = cluster.masterServing(streamSlot);
                CompletableFuture<Void> load = CompletableFuture.runAsync(() -> insertSlowly(servers, users));
                Thread.sleep(3000);
                streamMaster.kill();
                Awaitility.await("replica promoted").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions().until(() -> cluster.masters().size() == 3);
                // the old master comes back as a replica of the new one
                streamMaster.restart();
                load.get(120, TimeUnit.SECONDS);
                awaitAllDeleted(() -> RedisClusterIT.countExisting(redis, keys));
                assertThat(control.stream().filter(redis::exists).count()).as("control keys left").isEqualTo(control.size());
            }
        } finally {
            users.deleteRows(servers);
        }
    }

    @Test
    void sentinelFailoverUnderLoadLeavesNoKeyBehind() throws Exception {
        TestServers servers = TestServers.local();
        UserInserts users = new UserInserts(CHANGES);
        try (LocalRedisSentinel sentinel = LocalRedisSentinel.start(
                Files.createTempDirectory(Path.of("target"), "redis-sentinel-"))) {
            Map<String, String> props = RunningApp.defaults(servers, "sentinel-failover-it", dataDir);
            everythingOn(props, sentinel.uri());
            List<String> keys = users.allKeys();
            List<String> control = users.controlKeys(200);
            try (Jedis master = sentinel.masterClient()) {
                keys.forEach(key -> master.set(key, "cached"));
                control.forEach(key -> master.set(key, "cached"));
                master.waitReplicas(1, 5000);
            }
            try (RunningApp app = RunningApp.start(RunningApp.ALL, props)) {
                CompletableFuture<Void> load = CompletableFuture.runAsync(() -> insertSlowly(servers, users));
                Thread.sleep(3000);
                LocalRedis old = sentinel.master();
                old.kill();
                sentinel.awaitFailoverFrom(old);
                // the old master comes back as a replica of the new one, as an operator would start it
                old.restartAsReplicaOf(sentinel.masterAddress());
                sentinel.awaitReplicaInSync();
                load.get(120, TimeUnit.SECONDS);
                awaitAllDeleted(() -> {
                    try (Jedis now = sentinel.masterClient()) {
                        return keys.stream().filter(now::exists).count();
                    }
                });
                try (Jedis master = sentinel.masterClient()) {
                    assertThat(control.stream().filter(master::exists).count()).as("control keys left")
                            .isEqualTo(control.size());
                }
            }
        } finally {
            users.deleteRows(servers);
        }
    }

    private static void everythingOn(Map<String, String> props, String uri) {
        props.put("redis.uri", uri);
        props.put("cache.uri", uri);
        props.put("redis.waitReplicas", "1");
        props.put("cache.waitReplicas", "1");
        props.put("cdc.offsetStore", "redis");
        props.put("cdc.schemaHistory", RedisUriSchemaHistory.class.getName());
        props.put("worker.blockMs", "200");
    }

    /** The changes over about ten seconds, in transactions of ten rows. */
    private static void insertSlowly(TestServers servers, UserInserts users) {
        try {
            for (int from = 0; from < CHANGES; from += 20) {
                users.insert(servers, from, Math.min(CHANGES, from + 20), 10);
                Thread.sleep(100);
            }
        } catch (Exception e) {
            throw new IllegalStateException("inserts failed", e);
        }
    }

    private static void awaitAllDeleted(LongSupplier keysLeft) {
        Awaitility.await("every key of " + CHANGES + " changes deleted").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> keysLeft.getAsLong() == 0);
    }
}
