package dev.cacheinvalidation.offsets;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.redis.RedisConnection;
import redis.clients.jedis.UnifiedJedis;

/** The Redis connection of one of Debezium's stores (position, schema history): opened as it starts, closed as it stops. */
final class StoreConnection {

    private final String clientName;
    private RedisConnection redis;

    StoreConnection(String clientName) {
        this.clientName = clientName;
    }

    synchronized void open(RedisAddress address) {
        if (redis == null) {
            redis = RedisConnection.open(address, clientName, 5000, 2);
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
