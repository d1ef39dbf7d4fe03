package dev.cacheinvalidation.worker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.metrics.Meters;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import dev.cacheinvalidation.stream.RedisStreamConstants;
import dev.cacheinvalidation.stream.StreamMessage;
import io.micrometer.core.instrument.Counter;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Deletes the cache keys named by a batch of stream entries from the cache Redis ({@code cacheUri}): all plain keys
 * of the batch in one UNLINK (one per hash slot, pipelined, on a cluster), pattern keys ({@code *}) by SCAN MATCH on
 * every master. Entries that are not events with string keys are rejected one by one (header
 * {@link RedisStreamConstants#REJECTED}); a Redis error fails the whole batch so nothing is acknowledged. The redelete
 * of a batch (header {@link RedisStreamConstants#REDELETE} true, the delayed second delete) deletes the same keys
 * again and counts them apart. The application's own keys ({@link OwnKeys}) are never deleted. How fresh that keeps
 * the cache, per table, is measured as the first delete goes ({@link Freshness}).
 */
public class Invalidator extends ServiceSupport implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(Invalidator.class);
    /**
     * The per-event line's marker: log4j2.properties writes lines with it without the secret-masking replacements
     * (a count and a table name are all it holds); every other line of this class is masked as everywhere.
     */
    private static final Marker EVENT_LINE = MarkerFactory.getMarker("CACHE_INVALIDATED");
    /** Keys a SCAN of a pattern key asks for per call. */
    private static final int SCAN_COUNT = 1000;

    private CamelContext camelContext;
    private String cacheUri = "redis://localhost:6379";
    private String field = "event";
    private byte[] fieldName = field.getBytes(StandardCharsets.UTF_8);
    private int waitReplicas;
    private TopologyAwareRedis cache;
    private Counter keysDeleted;
    private Counter keysRedeleted;
    private Counter ownKeysSpared;
    private List<String> streams = List.of();
    private String connectorName;
    private OwnKeys ownKeys;
    private String tables = "";
    private long freshnessObjectiveMs = 5000;
    private Freshness freshness;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    protected void doStart() {
        ownKeys = new OwnKeys(streams, connectorName);
        Meters meters = Meters.of(camelContext);
        keysDeleted = meters.counter("cache_invalidation_keys_deleted", "Cache keys deleted (patterns count once)");
        keysRedeleted = meters.counter("cache_invalidation_keys_redeleted",
                "Cache keys deleted a second time, worker.redeleteAfterMs after the first (patterns count once)");
        ownKeysSpared = meters.counter("cache_invalidation_own_keys_spared",
                "Keys of the application's own that events named, plainly or by a pattern, and that were not deleted");
        freshness = new Freshness(meters, tables, java.time.Duration.ofMillis(freshnessObjectiveMs));
        cache = TopologyAwareRedis.at(RedisAddress.parse(cacheUri, "CACHE_URI"), "invalidator", 10_000, 8)
                .waitForReplicas(waitReplicas, "cache.waitReplicas");
    }

    @Override
    protected void doStop() {
        if (cache != null) {
            cache.close();
        }
    }

    /** Deletes the keys of every event in the body (a list of stream entries). */
    @Override
    public void process(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<StreamMessage> messages = exchange.getMessage().getBody(List.class);
        Map<String, String> rejected = new HashMap<>();
        List<CacheKeys> events = new ArrayList<>(messages.size());
        List<String> entryIds = new ArrayList<>(messages.size());
        Set<String> plain = new LinkedHashSet<>();
        Set<String> patterns = new LinkedHashSet<>();
        for (StreamMessage message : messages) {
            try {
                CacheKeys keys = CacheKeys.fromEventJson(message.bytes(fieldName));
                events.add(keys);
                entryIds.add(message.id());
                for (String key : keys.keys()) {
                    (CacheKeys.isPattern(key) ? patterns : plain).add(key);
                }
            } catch (IllegalArgumentException e) {
                rejected.put(message.id(), e.getMessage());
            }
        }
        Set<String> spared = new LinkedHashSet<>();
        cache.unlink(ownKeys.without(new ArrayList<>(plain), spared));
        for (String pattern : patterns) {
            cache.scan(pattern, SCAN_COUNT, page -> cache.unlink(ownKeys.without(page, spared)));
        }
        if (!spared.isEmpty()) {
            ownKeysSpared.increment(spared.size());
            LOG.warn("Not deleted, though events of this batch name them (plainly or by a pattern): {}, the"
                    + " application's own keys (stream, dead letters, position, schema history)", spared);
        }
        if (Boolean.TRUE.equals(exchange.getMessage().getHeader(RedisStreamConstants.REDELETE, Boolean.class))) {
            keysRedeleted.increment(plain.size() + patterns.size());
            return;
        }
        long deletedMicros = Freshness.nowMicros();
        for (int i = 0; i < events.size(); i++) {
            CacheKeys keys = events.get(i);
            if (!keys.keys().isEmpty()) {
                LOG.info(EVENT_LINE, "Invalidated {} keys for {}", keys.keys().size(), keys.table());
                freshness.record(keys.table(), keys.committedMicros(), entryIds.get(i), deletedMicros);
            }
        }
        keysDeleted.increment(plain.size() + patterns.size());
        if (!rejected.isEmpty()) {
            exchange.getMessage().setHeader(RedisStreamConstants.REJECTED, rejected);
        }
    }

    /** The Redis whose keys are deleted ({@code cache.uri}). */
    public void setCacheUri(String cacheUri) {
        this.cacheUri = cacheUri;
    }

    /** The streams the application keeps (the stream, the dead-letter streams): never deleted. */
    public void setStreams(String streams) {
        this.streams = List.of(streams.split(","));
    }

    /** Deletes wait until this many replicas have them (see {@link TopologyAwareRedis#waitForReplicas}). */
    public void setWaitReplicas(int waitReplicas) {
        this.waitReplicas = waitReplicas;
    }

    public String getField() {
        return field;
    }

    /** The entries' field that holds the event: the stream's {@code field}. */
    public void setField(String field) {
        this.field = field;
        this.fieldName = field.getBytes(StandardCharsets.UTF_8);
    }

    /** The connector whose position and schema history may be in Redis ({@code cdc.name}): never deleted. */
    public void setConnectorName(String connectorName) {
        this.connectorName = connectorName;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** The captured tables ({@code cdc.tables}): each has freshness meters of its own (see {@link Freshness}). */
    public void setTables(String tables) {
        this.tables = tables;
    }

    /** Freshness is measured against this objective ({@code worker.freshnessObjectiveMs}): later missed it. */
    public long getFreshnessObjectiveMs() {
        return freshnessObjectiveMs;
    }

    /** An invalidation later than this after the commit missed the objective ({@code worker.freshnessObjectiveMs}). */
    public void setFreshnessObjectiveMs(long freshnessObjectiveMs) {
        this.freshnessObjectiveMs = freshnessObjectiveMs;
    }
}
