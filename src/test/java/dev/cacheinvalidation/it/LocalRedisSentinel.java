package dev.cacheinvalidation.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A master, its replica and three sentinels (quorum 2) on loopback for tests: a master that does not answer for 3 s
 * is failed over to the replica.
 */
public final class LocalRedisSentinel implements AutoCloseable {

    public static final String MASTER_NAME = "cache-master";

    private final List<LocalRedis> servers;
    private final List<LocalRedis> sentinels;

    private LocalRedisSentinel(List<LocalRedis> servers, List<LocalRedis> sentinels) {
        this.servers = servers;
        this.sentinels = sentinels;
    }

    public static LocalRedisSentinel start(Path dir) throws Exception {
        List<LocalRedis> servers = new ArrayList<>();
        List<LocalRedis> sentinels = new ArrayList<>();
        try {
            LocalRedis master = LocalRedis.start(dir.resolve("server-0"), List.of());
            servers.add(master);
            servers.add(LocalRedis.start(dir.resolve("server-1"), List.of("replicaof 127.0.0.1 " + master.port())));
            for (int i = 0; i < 3; i++) {
                sentinels.add(LocalRedis.startSentinel(dir.resolve("sentinel-" + i), List.of(
                        "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + master.port() + " 2",
                        // long enough not to fail over a master that is only slow on a busy machine
                        "sentinel down-after-milliseconds " + MASTER_NAME + " 3000",
                        "sentinel failover-timeout " + MASTER_NAME + " 10000",
                        "sentinel parallel-syncs " + MASTER_NAME + " 1")));
            }
            LocalRedisSentinel setup = new LocalRedisSentinel(servers, sentinels);
            setup.awaitReplicaInSync();
            return setup;
        } catch (Exception e) {
            for (LocalRedis redis : sentinels) {
                redis.close();
            }
            for (LocalRedis redis : servers) {
                redis.close();
            }
            throw e;
        }
    }

    /** {@code redis-sentinel://} with the three sentinels. */
    public String uri() {
        return "redis-sentinel://" + sentinels.stream().map(s -> "127.0.0.1:" + s.port()).collect(Collectors.joining(","))
                + "/0#" + MASTER_NAME;
    }

    /** The master as the sentinels see it now. */
    public HostAndPort masterAddress() {
        for (LocalRedis sentinel : sentinels) {
            try (Jedis jedis = sentinel.client()) {
                List<String> address = jedis.sentinelGetMasterAddrByName(MASTER_NAME);
                return new HostAndPort(address.get(0), Integer.parseInt(address.get(1)));
            } catch (RuntimeException e) {
                // ask the next one
            }
        }
        throw new IllegalStateException("no sentinel answers");
    }

    public LocalRedis master() {
        int port = masterAddress().getPort();
        return servers.stream().filter(s -> s.port() == port).findFirst().orElseThrow();
    }

    public Jedis masterClient() {
        HostAndPort master = masterAddress();
        return new Jedis(master.getHost(), master.getPort(), 5000);
    }

    /** Waits until the sentinels report a master other than {@code old}. */
    public void awaitFailoverFrom(LocalRedis old) {
        Awaitility.await("sentinel failover").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> masterAddress().getPort() != old.port());
    }

    /** Waits until the current master has a replica in sync. */
    public void awaitReplicaInSync() {
        Awaitility.await("replica in sync").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    try (Jedis jedis = masterClient()) {
                        String info = jedis.info("replication");
                        return info.contains("role:master") && info.contains("connected_slaves:1")
                                && info.contains("state=online");
                    }
                });
    }

    @Override
    public void close() throws InterruptedException {
        for (LocalRedis redis : sentinels) {
            redis.close();
        }
        for (LocalRedis redis : servers) {
            redis.close();
        }
    }
}
