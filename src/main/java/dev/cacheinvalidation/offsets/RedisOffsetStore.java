package dev.cacheinvalidation.offsets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binlog position in a Redis hash ({@value #KEY}, in the layout of Debezium's Redis offset store), reached
 * through {@link TopologyAwareRedis} so that it works on a single server, a cluster and Sentinel alike. Every save
 * writes the whole position; one that fails is logged and made good by the next (a crash before that replays a few
 * changes, which only repeats invalidations).
 */
public class RedisOffsetStore extends MemoryOffsetBackingStore {

    public static final String KEY = "offset.storage.redis.key";
    private static final Logger LOG = LoggerFactory.getLogger(RedisOffsetStore.class);

    private RedisAddress address;
    private String key;
    /** The key of a connector's position in Redis. */
    public static String keyOf(String connectorName) {
        return connectorName + ":offsets";
    }

    private final StoreRedis redis = new StoreRedis("debezium:offsets");

    /** Configured from {@value GatedOffsetBackingStore#REDIS_URI} and {@value #KEY}. */
    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        Map<String, String> settings = config.originalsStrings();
        address = RedisAddress.parse(settings.get(GatedOffsetBackingStore.REDIS_URI));
        key = settings.getOrDefault(KEY, "metadata:debezium:offsets");
    }

    @Override
    public synchronized void start() {
        super.start();
        redis.open(address);
        Map<byte[], byte[]> saved = redis.commands().hgetAll(key.getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<byte[], byte[]> entry : saved.entrySet()) {
            data.put(ByteBuffer.wrap(entry.getKey()), ByteBuffer.wrap(entry.getValue()));
        }
        LOG.info("Binlog position read from Redis key {} at {} ({} entries)", key, address, saved.size());
    }

    @Override
    protected void save() {
        Map<byte[], byte[]> fields = new HashMap<>();
        for (Map.Entry<ByteBuffer, ByteBuffer> entry : data.entrySet()) {
            if (entry.getKey() != null && entry.getValue() != null) {
                fields.put(bytes(entry.getKey()), bytes(entry.getValue()));
            }
        }
        if (fields.isEmpty()) {
            return;
        }
        try {
            redis.commands().hset(key.getBytes(StandardCharsets.UTF_8), fields);
        } catch (RuntimeException e) {
            LOG.warn("Could not save the binlog position to Redis ({}); the next save writes it", e.getMessage());
        }
    }

    /** Not needed by the embedded engine (Debezium's Redis store answers the same). */
    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return null;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public synchronized void stop() {
        super.stop();
        redis.close();
    }
}
