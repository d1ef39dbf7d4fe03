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

    static final List<Process> nodes = new ArrayList<>();
    static final Set<HostAndPort> addresses = new HashSet<>();
    static RedisClusterClient cluster;
    static LeasedCache cache;

    @BeforeAll
    static void startCluster() throws Exception {
        List<String> hostPorts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int port = freePort();
            Path nodeDir = Files.createDirectories(dir.resolve("node-" + port));
            nodes.add(new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--dir", nodeDir.toString(),
                    "--save", "", "--appendonly", "no").redirectErrorStream(true)
                    .redirectOutput(nodeDir.resolve("redis.log").toFile()).start());
            addresses.add(new HostAndPort("127.0.0.1", port));
            hostPorts.add("127.0.0.1:" + port);
        }
        for (HostAndPort address : addresses) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (Jedis jedis = new Jedis(address)) {
                    return "PONG".equals(jedis.ping());
                }
            });
        }
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        create.addAll(hostPorts);
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Process creating = new ProcessBuilder(create).redirectErrorStream(true)
                .redirectOutput(dir.resolve("create.log").toFile()).start();
        assertThat(creating.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(creating.exitValue()).as("redis-cli --cluster create, see " + dir.resolve("create.log")).isZero();
        for (HostAndPort address : addresses) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                try (Jedis jedis = new Jedis(address)) {
                    return jedis.clusterInfo().contains("cluster_state:ok");
                }
            });
        }
        cluster = RedisClusterClient.create(addresses);
        cache = new LeasedCache(RedisScripting.of(cluster));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        for (Process node : nodes) {
            node.destroy();
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
    }

    private static List<String> keysOnEveryNode() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            keys.add("cluster-it:user:" + i);
        }
        Set<Integer> slots = new HashSet<>();
        // redis-cli --cluster create gives three masters the slots 0-5460, 5461-10922 and 10923-16383
        keys.forEach(key -> {
            int slot = JedisClusterCRC16.getSlot(key);
            slots.add(slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);
        });
        assertThat(slots).as("the keys spread over the three nodes' slot ranges").hasSize(3);
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
        for (HostAndPort address : addresses) {
            try (Jedis node = new Jedis(address)) {
                node.scriptFlush();
            }
        }
        for (String key : keysOnEveryNode()) {
            cluster.del(key);
            assertThat(cache.get(key, () -> "v")).isEqualTo("v");
            assertThat(cluster.get(key)).isEqualTo("v");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
