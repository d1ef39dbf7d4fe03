package dev.cacheinvalidation.offsets;

import dev.cacheinvalidation.config.RedisAddress;
import io.debezium.config.Configuration;
import io.debezium.relational.history.HistoryRecordComparator;
import io.debezium.relational.history.SchemaHistoryListener;
import io.debezium.storage.redis.history.RedisSchemaHistory;

/**
 * Debezium's Redis schema history, addressed by one Redis URI ({@value #REDIS_URI}) like the rest of the
 * application instead of separate host, user and password settings.
 */
public class RedisUriSchemaHistory extends RedisSchemaHistory {

    public static final String REDIS_URI = "schema.history.internal.redis.uri";

    @Override
    public void configure(Configuration config, HistoryRecordComparator comparator, SchemaHistoryListener listener,
            boolean useCatalogBeforeSchema) {
        Configuration withRedis = config.edit()
                .with(Configuration.from(RedisAddress.parse(config.getString(REDIS_URI)).debeziumSettings("schema.history.internal.")))
                .build();
        super.configure(withRedis, comparator, listener, useCatalogBeforeSchema);
    }
}
