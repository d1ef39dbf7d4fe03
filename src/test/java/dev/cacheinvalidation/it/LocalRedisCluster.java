package dev.cacheinvalidation.it;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Protocol;

/**
 * A Redis Cluster on loopback for tests: {@code masters} masters sharing the 16384 slots evenly, each with
 * {@code replicasPerMaster} replicas, made with CLUSTER MEET / ADDSLOTSRANGE / REPLICATE (what
 * {@code redis-cli --cluster create} does). A node that stops answering for 2 s is failed over to its replica.
 */
public final class LocalRedisCluster implements AutoCloseable {

    public static final int NODE_TIMEOUT_MS = 2000;

    private final List<LocalRedis> nodes;

    private LocalRedisCluster(List<LocalRedis> nodes) {
        this.nodes = nodes;
    }

    public static LocalRedisCluster start(Path dir, int masters, int replicasPerMaster) throws Exception {
        List<LocalRedis> nodes = new ArrayList<>();
        try {
            int count = masters * (1 + replicasPerMaster);
            for (int i = 0; i < count; i++) {
                nodes.add(LocalRedis.start(dir.resolve("node-" + i), List.of("cluster-enabled yes",
                        "cluster-config-file nodes.conf", "cluster-node-timeout " + NODE_TIMEOUT_MS,
                        "cluster-require-full-coverage yes")));
            }
            LocalRedisCluster cluster = new LocalRedisCluster(nodes);
            cluster.create(masters, replicasPerMaster);
            return cluster;
        } catch (Exception e) {
            for (LocalRedis node : nodes) {
                node.close();
            }
            throw e;
        }
    }

    private void create(int masters, int replicasPerMaster) {
        LocalRedis first = nodes.get(0);
        for (LocalRedis node : nodes.subList(1, nodes.size())) {
            try (Jedis jedis = node.client()) {
                jedis.clusterMeet("127.0.0.1", first.port());
            }
        }
        for (int m = 0; m < masters; m++) {
            int from = m * 16384 / masters;
            int to = (m + 1) * 16384 / masters - 1;
            try (Jedis jedis = nodes.get(m).client()) {
                jedis.sendCommand(Protocol.Command.CLUSTER, "ADDSLOTSRANGE", Integer.toString(from), Integer.toString(to));
            }
        }
        awaitAllKnown();
        for (int r = 0; r < masters * replicasPerMaster; r++) {
            LocalRedis master = nodes.get(r % masters);
            String masterId;
            try (Jedis jedis = master.client()) {
                masterId = jedis.clusterMyId();
            }
            try (Jedis jedis = nodes.get(masters + r).client()) {
                jedis.clusterReplicate(masterId);
            }
        }
        awaitHealthy(masters * replicasPerMaster);
    }

    private void awaitAllKnown() {
        Awaitility.await("cluster nodes meet").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> nodes.stream().allMatch(node -> {
                    try (Jedis jedis = node.client()) {
                        return jedis.clusterNodes().lines().filter(line -> !line.contains("handshake")).count() == nodes.size();
                    }
                }));
    }

    /** Waits until every live node says the cluster is ok and {@code replicas} replicas are in sync. */
    public void awaitHealthy(int replicas) {
        Awaitility.await("cluster ok").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    for (LocalRedis node : nodes) {
                        if (!node.isAlive()) {
                            continue;
                        }
                        try (Jedis jedis = node.client()) {
                            if (!jedis.clusterInfo().contains("cluster_state:ok")) {
                                return false;
                            }
                        }
                    }
                    long synced = nodes.stream().filter(LocalRedis::isAlive).filter(node -> {
                        try (Jedis jedis = node.client()) {
                            String info = jedis.info("replication");
                            return info.contains("role:slave") && info.contains("master_link_status:up");
                        }
                    }).count();
                    return synced >= replicas;
                });
    }

    /** {@code redis://} with every node as a seed. */
    public String uri() {
        return "redis://" + nodes.stream().map(node -> "127.0.0.1:" + node.port()).collect(Collectors.joining(","));
    }

    /** {@code redis://} naming only the first node, as a user may write it. */
    public String uriOfOneNode() {
        return "redis://127.0.0.1:" + nodes.get(0).port();
    }

    public JedisCluster client() {
        Set<HostAndPort> seeds = new LinkedHashSet<>();
        for (LocalRedis node : nodes) {
            seeds.add(node.hostAndPort());
        }
        return new JedisCluster(seeds, DefaultJedisClientConfig.builder().socketTimeoutMillis(5000).build(), 10);
    }

    /** The live nodes that are masters now. */
    public List<LocalRedis> masters() {
        List<LocalRedis> masters = new ArrayList<>();
        for (LocalRedis node : nodes) {
            if (!node.isAlive()) {
                continue;
            }
            try (Jedis jedis = node.client()) {
                if (jedis.info("replication").contains("role:master")) {
                    masters.add(node);
                }
            }
        }
        return masters;
    }

    /** The live master that serves the slot now, by its own CLUSTER NODES line. */
    public LocalRedis masterServing(int slot) {
        for (LocalRedis master : masters()) {
            try (Jedis jedis = master.client()) {
                String myself = jedis.clusterNodes().lines().filter(line -> line.contains("myself")).findFirst().orElseThrow();
                String[] fields = myself.split(" ");
                // id address flags master ping pong epoch link, then the slot ranges
                for (int i = 8; i < fields.length; i++) {
                    if (fields[i].startsWith("[")) {
                        continue;
                    }
                    String[] range = fields[i].split("-");
                    int from = Integer.parseInt(range[0]);
                    int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                    if (slot >= from && slot <= to) {
                        return master;
                    }
                }
            }
        }
        throw new IllegalStateException("no live master serves slot " + slot);
    }

    /** Keys held by the masters, summed (DBSIZE of each). */
    public long keyCount() {
        long count = 0;
        for (LocalRedis master : masters()) {
            try (Jedis jedis = master.client()) {
                count += jedis.dbSize();
            }
        }
        return count;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (LocalRedis node : nodes) {
            node.close();
        }
    }
}
