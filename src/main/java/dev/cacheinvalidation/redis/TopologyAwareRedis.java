package dev.cacheinvalidation.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.RedisAddress;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.AbstractTransaction;
import redis.clients.jedis.ClusterCommandArguments;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.JedisSentineled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.ConnectionProvider;
import redis.clients.jedis.providers.PooledConnectionProvider;
import redis.clients.jedis.providers.SentineledConnectionProvider;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A Redis as it is deployed, the one place that knows how: made from a {@link RedisAddress}: a single server, a Redis
 * Cluster (detected by asking the first seed node that answers) or a master watched by Sentinel. Commands on one
 * key go through {@link #commands()}, which routes them (following MOVED/ASK on a cluster, the promoted master
 * after a failover); what spans keys or needs one connection ({@link #unlink}, {@link #scan}, {@link #transaction}) is done here so that callers
 * need not care.
 * <p>
 * Nothing connects until the first command, so a Redis that is down at start is retried by the caller like any
 * other outage.
 */
public final class TopologyAwareRedis implements AutoCloseable {

    /** How a Redis is deployed. */
    public enum Topology { STANDALONE, CLUSTER, SENTINEL }

    private static final int CLUSTER_MAX_ATTEMPTS = 5;
    static final long WAIT_TIMEOUT_MS = 1000;

    private final RedisAddress address;
    private final String clientName;
    private final int socketTimeoutMs;
    private final int maxConnections;
    private int replicasToWaitFor;
    private volatile UnifiedJedis jedis;
    private ConnectionProvider provider;
    private ClusterConnectionProvider cluster;
    private volatile Topology topology;
    private boolean closed;

    private TopologyAwareRedis(RedisAddress address, String clientName, int socketTimeoutMs, int maxConnections) {
        this.address = address;
        this.clientName = clientName;
        this.socketTimeoutMs = socketTimeoutMs;
        this.maxConnections = maxConnections;
    }

    /**
     * A connection pool of at most {@code maxConnections} (per node on a cluster); {@code socketTimeoutMs} bounds
     * every command, so it must exceed the longest blocking read.
     */
    public static TopologyAwareRedis at(RedisAddress address, String clientName, int socketTimeoutMs, int maxConnections) {
        return new TopologyAwareRedis(address, clientName, socketTimeoutMs, maxConnections);
    }

    /**
     * Makes every write of {@link #transaction} and {@link #unlink} wait (WAIT, on the connection that wrote, up to
     * {@value #WAIT_TIMEOUT_MS} ms) until that many replicas have it, so that a failover to one of them does not
     * lose what was acknowledged. A replica that does not answer in time only delays the write. A negative count
     * is refused, naming {@code setting}, the setting it came from.
     */
    public TopologyAwareRedis waitForReplicas(int replicas, String setting) {
        if (replicas < 0) {
            throw new ConfigurationException(setting + " is " + replicas + ": the replicas a write waits for are 0"
                    + " (no wait) or more");
        }
        this.replicasToWaitFor = replicas;
        return this;
    }

    /** The client for commands on one key (or keys of one slot). */
    public UnifiedJedis commands() {
        UnifiedJedis connected = jedis;
        return connected != null ? connected : connectOnce();
    }

    private synchronized UnifiedJedis connectOnce() {
        if (closed) {
            throw new IllegalStateException("the connection to " + address + " is closed");
        }
        if (jedis == null) {
            connect();
        }
        return jedis;
    }

    /**
     * The arguments of a command built by hand and sent through {@link #commands()}: on a cluster they note the slot
     * of the keys added with {@link CommandArguments#key}, which is how the cluster client routes them.
     */
    public CommandArguments arguments(ProtocolCommand command) {
        return topology() == Topology.CLUSTER ? new ClusterCommandArguments(command) : new CommandArguments(command);
    }

    /** How the Redis is deployed (connects if not yet done). */
    public Topology topology() {
        commands();
        return topology;
    }

    public RedisAddress address() {
        return address;
    }

    private void connect() {
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        pool.setMaxTotal(maxConnections);
        pool.setMaxIdle(maxConnections);
        pool.setJmxEnabled(false);
        pool.setTestOnBorrow(false);
        if (address.isSentinel()) {
            DefaultJedisClientConfig sentinelConfig = DefaultJedisClientConfig.builder().connectionTimeoutMillis(2000)
                    .socketTimeoutMillis(2000).clientName(clientName).build();
            SentineledConnectionProvider sentineled = new SentineledConnectionProvider(address.sentinelMaster(),
                    address.clientConfig(socketTimeoutMs, clientName), pool, new LinkedHashSet<>(address.nodes()),
                    sentinelConfig);
            provider = sentineled;
            topology = Topology.SENTINEL;
            jedis = new JedisSentineled(sentineled);
            return;
        }
        if (isCluster()) {
            if (address.database() != 0) {
                throw new ConfigurationException(address + " is a Redis Cluster, which has only database 0: remove /"
                        + address.database() + " from the URI");
            }
            cluster = new ClusterConnectionProvider(new LinkedHashSet<>(address.nodes()),
                    address.clientConfig(socketTimeoutMs, clientName), pool);
            provider = cluster;
            topology = Topology.CLUSTER;
            jedis = new JedisCluster(cluster, CLUSTER_MAX_ATTEMPTS, Duration.ofMillis((long) socketTimeoutMs * CLUSTER_MAX_ATTEMPTS));
            return;
        }
        PooledConnectionProvider pooled = new PooledConnectionProvider(address.hostAndPort(),
                address.clientConfig(socketTimeoutMs, clientName), pool);
        provider = pooled;
        topology = Topology.STANDALONE;
        // published last: commands() reads it without the lock
        jedis = new JedisPooled(pooled);
    }

    /** Asks the seed nodes in turn, until one answers, whether they run in cluster mode. */
    private boolean isCluster() {
        JedisConnectionException unreachable = null;
        for (HostAndPort node : address.nodes()) {
            try (Jedis probe = new Jedis(node, address.clientConfig(2000, clientName))) {
                return probe.info("cluster").contains("cluster_enabled:1");
            } catch (JedisConnectionException e) {
                unreachable = e;
            }
        }
        throw unreachable;
    }

    /** True when these keys live on one node (always, except on a cluster where they hash to different slots). */
    public boolean sameNode(String... keys) {
        if (topology() != Topology.CLUSTER) {
            return true;
        }
        int slot = JedisClusterCRC16.getSlot(keys[0]);
        for (String key : keys) {
            if (JedisClusterCRC16.getSlot(key) != slot) {
                return false;
            }
        }
        return true;
    }

    /** A connection of the pool of the node (the master) that serves the key. */
    private Connection connectionFor(String key) {
        commands();
        return topology == Topology.CLUSTER ? cluster.getConnectionFromSlot(JedisClusterCRC16.getSlot(key))
                : provider.getConnection();
    }

    /**
     * Runs a transaction built by {@code commands} on the node of {@code key}, returning EXEC's replies; every key it
     * touches must be in that key's slot on a cluster (see {@link #sameNode}). On a cluster
     * a slot that moved (resharding, failover) refreshes the slot map and the transaction is sent to the new owner.
     */
    public List<Object> transaction(String key, Consumer<AbstractTransaction> commands) {
        for (int attempt = 1; ; attempt++) {
            Connection connection = connectionFor(key);
            try (AbstractTransaction tx = new Transaction(connection, true, true)) {
                commands.accept(tx);
                List<Object> replies = tx.exec();
                if (replicasToWaitFor > 0) {
                    connection.executeCommand(new CommandArguments(Protocol.Command.WAIT).add(replicasToWaitFor)
                            .add(WAIT_TIMEOUT_MS));
                }
                return replies;
            } catch (JedisDataException e) {
                if (topology != Topology.CLUSTER || !isRedirect(e) || attempt >= CLUSTER_MAX_ATTEMPTS) {
                    throw e;
                }
                cluster.renewSlotCache();
            } catch (JedisConnectionException e) {
                if (topology == Topology.CLUSTER) {
                    // the node may be gone for good (failover): ask the others who serves the slot now
                    renewSlotCacheQuietly();
                }
                throw e;
            }
        }
    }

    /** A reply that says the slot is served elsewhere or not yet (a queued MOVED makes EXEC answer EXECABORT). */
    private static boolean isRedirect(JedisDataException e) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        return message.startsWith("MOVED") || message.startsWith("ASK") || message.startsWith("CLUSTERDOWN")
                || message.startsWith("TRYAGAIN") || message.startsWith("EXECABORT");
    }

    private void renewSlotCacheQuietly() {
        try {
            cluster.renewSlotCache();
        } catch (RuntimeException e) {
            // no node answers yet; the caller retries
        }
    }

    /**
     * Deletes the keys (UNLINK) in one pipelined round: one command for all on a single server, one per hash slot on
     * a cluster, sent to each master at once. Slots that moved meanwhile are retried through the cluster client,
     * which follows the redirections. Returns how many keys existed.
     */
    public long unlink(Collection<String> keys) {
        if (keys.isEmpty()) {
            return 0;
        }
        UnifiedJedis client = commands();
        if (topology != Topology.CLUSTER) {
            if (replicasToWaitFor == 0) {
                return client.unlink(keys.toArray(String[]::new));
            }
            try (Pipeline pipeline = new Pipeline(provider.getConnection(), true)) {
                Response<Long> deleted = pipeline.unlink(keys.toArray(String[]::new));
                pipeline.waitReplicas(replicasToWaitFor, WAIT_TIMEOUT_MS);
                pipeline.sync();
                return deleted.get();
            }
        }
        Map<Integer, List<String>> bySlot = new LinkedHashMap<>();
        for (String key : keys) {
            bySlot.computeIfAbsent(JedisClusterCRC16.getSlot(key), slot -> new ArrayList<>()).add(key);
        }
        Map<List<String>, Response<Long>> replies = new LinkedHashMap<>();
        try (AbstractPipeline pipeline = client.pipelined()) {
            Map<HostAndPort, String> sampleKeyPerMaster = new LinkedHashMap<>();
            for (Map.Entry<Integer, List<String>> group : bySlot.entrySet()) {
                replies.put(group.getValue(), pipeline.unlink(group.getValue().toArray(String[]::new)));
                sampleKeyPerMaster.putIfAbsent(cluster.getNode(group.getKey()), group.getValue().get(0));
            }
            if (replicasToWaitFor > 0) {
                // on the connection of each master that deleted, after its deletes
                for (String sampleKey : sampleKeyPerMaster.values()) {
                    pipeline.waitReplicas(sampleKey, replicasToWaitFor, WAIT_TIMEOUT_MS);
                }
            }
            pipeline.sync();
        } catch (JedisConnectionException e) {
            // a master is unreachable (failing over): one slot at a time through the cluster client, which retries
            // and learns the new master; what still fails is thrown, so nothing is acknowledged
            renewSlotCacheQuietly();
            long deleted = 0;
            for (List<String> slotKeys : bySlot.values()) {
                deleted += client.unlink(slotKeys.toArray(String[]::new));
            }
            return deleted;
        }
        long deleted = 0;
        for (Map.Entry<List<String>, Response<Long>> reply : replies.entrySet()) {
            try {
                deleted += reply.getValue().get();
            } catch (JedisDataException | IllegalStateException e) {
                // moved or being migrated (the cluster client follows MOVED and ASK), or no reply because the
                // node's connection failed during the pipeline (the cluster client retries and finds the new master)
                deleted += client.unlink(reply.getKey().toArray(String[]::new));
            }
        }
        return deleted;
    }

    /** One INFO section of the server, or of every master of a cluster. */
    public List<String> info(String section) {
        commands();
        if (topology != Topology.CLUSTER) {
            try (Jedis node = new Jedis(provider.getConnection())) {
                return List.of(node.info(section));
            }
        }
        List<String> replies = new ArrayList<>();
        for (ConnectionPool master : cluster.getPrimaryNodesConnectionMap().values()) {
            try (Jedis node = new Jedis(master.getResource())) {
                replies.add(node.info(section));
            }
        }
        return replies;
    }

    /** Every key matching the pattern, a page at a time, from every master of a cluster. */
    public void scan(String pattern, int count, Consumer<List<String>> page) {
        UnifiedJedis client = commands();
        ScanParams params = new ScanParams().match(pattern).count(count);
        if (topology != Topology.CLUSTER) {
            scanNode(client::scan, params, page);
            return;
        }
        for (ConnectionPool master : cluster.getPrimaryNodesConnectionMap().values()) {
            try (Jedis node = new Jedis(master.getResource())) {
                scanNode(node::scan, params, page);
            }
        }
    }

    private static void scanNode(BiFunction<String, ScanParams, ScanResult<String>> scan, ScanParams params,
            Consumer<List<String>> page) {
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> result = scan.apply(cursor, params);
            if (!result.getResult().isEmpty()) {
                page.accept(result.getResult());
            }
            cursor = result.getCursor();
        } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (jedis != null) {
            jedis.close();
            jedis = null;
        }
    }

    @Override
    public String toString() {
        return address.redacted() + (topology == null ? "" : " (" + topology.name().toLowerCase() + ")");
    }
}
