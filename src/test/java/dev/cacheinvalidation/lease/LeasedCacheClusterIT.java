package dev.cacheinvalidation.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import dev.cacheinvalidation.it.LocalRedis;
import dev.cacheinvalidation.it.LocalRedisCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The lease scripts on a real three-node Redis Cluster (started here, on free ports, from the installed
 * redis-server): each script touches one key, so it runs on the node that owns the key, whatever its slot.
 */
class LeasedCacheClusterIT {

    @TempDir
    static Path dir;

    static LocalRedisCluster servers;
    static RedisClusterClient cluster;
    static LeasedCache cache;

    @BeforeAll
    static void startCluster() throws Exception {
        servers = LocalRedisCluster.start(dir, 3, 0);
        Set<HostAndPort> seeds = new HashSet<>();
        for (LocalRedis node : servers.masters()) {
            seeds.add(node.hostAndPort());
        }
        cluster = RedisClusterClient.create(seeds);
        cache = new LeasedCache(RedisScripting.of(cluster));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        if (servers != null) {
            servers.close();
        }
    }

    private static List<String> keysOnEveryNode() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            keys.add("cluster-it:user:" + i);
        }
        Set<Integer> masters = new HashSet<>();
        keys.forEach(key -> masters.add(servers.masterServing(JedisClusterCRC16.getSlot(key)).port()));
        assertThat(masters).as("the keys spread over the three masters").hasSize(3);
        return keys;
    }

    @Test
    void aDeleteRevokesTheLeaseOnWhicheverNodeOwnsTheKey() {
        for (String key : keysOnEveryNode()) {
            cluster.del(key);
            LeaseReply.Lease revoked = (LeaseReply.Lease) cache.leaseGet(key);
            cluster.unlink(key);
            assertThat(cache.leaseFill(key, revoked.token(), "old")).as(key).isFalse();
            assertThat(cluster.exists(key)).as(key).isFalse();

            assertThat(cache.get(key, () -> "new")).isEqualTo("new");
            assertThat(cache.leaseGet(key)).isEqualTo(new LeaseReply.Hit("new"));
        }
    }

    @Test
    void scriptsFlushedOnEveryNodeAreLoadedAgainWhereTheKeyLives() {
        for (LocalRedis master : servers.masters()) {
            try (Jedis node = master.client()) {
                node.scriptFlush();
            }
        }
        for (String key : keysOnEveryNode()) {
            cluster.del(key);
            assertThat(cache.get(key, () -> "v")).isEqualTo("v");
            assertThat(cluster.get(key)).isEqualTo("v");
        }
    }
}
