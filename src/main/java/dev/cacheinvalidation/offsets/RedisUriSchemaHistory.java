package dev.cacheinvalidation.offsets;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import dev.cacheinvalidation.retry.Backoff;
import io.debezium.config.Configuration;
import io.debezium.document.DocumentReader;
import io.debezium.document.DocumentWriter;
import io.debezium.relational.history.AbstractSchemaHistory;
import io.debezium.relational.history.HistoryRecord;
import io.debezium.relational.history.HistoryRecordComparator;
import io.debezium.relational.history.SchemaHistoryException;
import io.debezium.relational.history.SchemaHistoryListener;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The schema history in a Redis stream ({@value #KEY}, one entry per record in field {@code schema}, the layout of
 * Debezium's Redis schema history), addressed by one Redis URI ({@value #REDIS_URI}) like the rest of the application
 * and reached through {@link TopologyAwareRedis}: a single server, a cluster or Sentinel. A write is retried while Redis
 * is away (up to {@value #WRITE_ATTEMPTS} attempts, backing off to 5 s), since the connector stops when one fails.
 */
public class RedisUriSchemaHistory extends AbstractSchemaHistory {

    public static final String REDIS_URI = "schema.history.internal.redis.uri";
    public static final String KEY = "schema.history.internal.redis.key";
    private static final int WRITE_ATTEMPTS = 30;
    private static final int PAGE = 1000;

    private final DocumentWriter writer = DocumentWriter.defaultWriter();
    private final DocumentReader reader = DocumentReader.defaultReader();
    private RedisAddress address;
    /** The key of a connector's schema history in Redis. */
    public static String keyOf(String connectorName) {
        return connectorName + ":schema-history";
    }

    private String key;
    private final StoreRedis redis = new StoreRedis("debezium:schema_history");

    @Override
    public void configure(Configuration config, HistoryRecordComparator comparator, SchemaHistoryListener listener,
            boolean useCatalogBeforeSchema) {
        super.configure(config, comparator, listener, useCatalogBeforeSchema);
        address = RedisAddress.parse(config.getString(REDIS_URI));
        key = config.getString(KEY, "metadata:debezium:schema_history");
    }

    @Override
    public synchronized void start() {
        super.start();
        redis.open(address);
    }

    @Override
    protected void storeRecord(HistoryRecord record) throws SchemaHistoryException {
        String json;
        try {
            json = writer.write(record.document());
        } catch (IOException e) {
            throw new SchemaHistoryException("cannot write a schema history record", e);
        }
        Backoff backoff = new Backoff(100, 5000);
        for (int attempt = 1; ; attempt++) {
            try {
                redis.commands().xadd(key, StreamEntryID.NEW_ENTRY, Map.of("schema", json));
                return;
            } catch (RuntimeException e) {
                if (attempt >= WRITE_ATTEMPTS) {
                    throw new SchemaHistoryException("cannot write the schema history to Redis at " + address + ": "
                            + e.getMessage(), e);
                }
                if (!backoff.pause()) {
                    throw new SchemaHistoryException("interrupted while writing the schema history", e);
                }
            }
        }
    }

    @Override
    protected synchronized void recoverRecords(Consumer<HistoryRecord> records) {
        String after = "-";
        while (true) {
            List<StreamEntry> page = redis.commands().xrange(key, after, "+", PAGE);
            for (StreamEntry entry : page) {
                try {
                    records.accept(new HistoryRecord(reader.read(entry.getFields().get("schema"))));
                } catch (IOException e) {
                    throw new SchemaHistoryException("unreadable schema history entry " + entry.getID() + " in " + key, e);
                }
            }
            if (page.size() < PAGE) {
                return;
            }
            after = "(" + page.get(page.size() - 1).getID();
        }
    }

    @Override
    public boolean storageExists() {
        return true;
    }

    @Override
    public boolean exists() {
        if (!redis.isOpen()) {
            start();
        }
        return redis.commands().exists(key);
    }

    @Override
    public synchronized void stop() {
        super.stop();
        redis.close();
    }
}
