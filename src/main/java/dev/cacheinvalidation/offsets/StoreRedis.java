package dev.cacheinvalidation.offsets;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import redis.clients.jedis.UnifiedJedis;

/** The Redis of one of Debezium's stores (position, schema history): made as the store starts, closed as it stops. */
final class StoreRedis {

    private final String clientName;
    private TopologyAwareRedis redis;

    StoreRedis(String clientName) {
        this.clientName = clientName;
    }

    synchronized void open(RedisAddress address) {
        if (redis == null) {
            redis = TopologyAwareRedis.at(address, clientName, 5000, 2);
        }
    }

    synchronized boolean isOpen() {
        return redis != null;
    }

    synchronized UnifiedJedis commands() {
        return redis.commands();
    }

    synchronized void close() {
        if (redis != null) {
            redis.close();
            redis = null;
        }
    }
}
