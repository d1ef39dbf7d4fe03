package dev.cacheinvalidation.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.stream.RedisStreamConstants;
import dev.cacheinvalidation.stream.StreamMessage;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.stream.StreamMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Deletes the cache keys named by a batch of stream entries: all plain keys of the batch in one UNLINK, pattern
 * keys ({@code *}) by SCAN MATCH. Entries that are not events with string keys are rejected one by one (header
 * {@link RedisStreamConstants#REJECTED}); a Redis error fails the whole batch so nothing is acknowledged.
 */
public class Invalidator extends ServiceSupport implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(Invalidator.class);

    private CamelContext camelContext;
    private String redisUri = "redis://localhost:6379";
    private String field = "event";
    private int scanCount = 1000;
    private JedisPool pool;
    private Counter keysDeleted;
    private Timer endToEnd;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    protected void doStart() {
        MeterRegistry meters = StreamMeters.registry(camelContext);
        keysDeleted = Counter.builder("cache_invalidation_keys_deleted").description("Cache keys deleted (patterns count once)")
                .register(meters);
        endToEnd = Timer.builder("cache_invalidation_end_to_end")
                .description("From the change in the binlog (server time, whole seconds) to the deletion of its keys")
                .publishPercentileHistogram().register(meters);
        GenericObjectPoolConfig<Jedis> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setJmxEnabled(false);
        RedisAddress address = RedisAddress.parse(redisUri);
        pool = new JedisPool(poolConfig, address.hostAndPort(), address.clientConfig(10_000, "invalidator"));
    }

    @Override
    protected void doStop() {
        if (pool != null) {
            pool.close();
        }
    }

    /** Deletes the keys of every event in the body (a list of stream entries). */
    @Override
    public void process(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<StreamMessage> messages = exchange.getMessage().getBody(List.class);
        Map<String, String> rejected = new HashMap<>();
        List<CacheKeys> events = new ArrayList<>(messages.size());
        Set<String> plain = new LinkedHashSet<>();
        Set<String> patterns = new LinkedHashSet<>();
        for (StreamMessage message : messages) {
            try {
                CacheKeys keys = CacheKeys.fromEventJson(message.value(field));
                events.add(keys);
                for (String key : keys.keys()) {
                    (CacheKeys.isPattern(key) ? patterns : plain).add(key);
                }
            } catch (IllegalArgumentException e) {
                rejected.put(message.id(), e.getMessage());
            }
        }
        try (Jedis jedis = pool.getResource()) {
            if (!plain.isEmpty()) {
                jedis.unlink(plain.toArray(String[]::new));
            }
            for (String pattern : patterns) {
                deleteMatching(jedis, pattern);
            }
        }
        long now = System.currentTimeMillis();
        for (CacheKeys keys : events) {
            if (!keys.keys().isEmpty()) {
                LOG.info("Invalidated {} keys for {}", keys.keys().size(), keys.table());
            }
            if (keys.sourceTsMs() != null) {
                endToEnd.record(Math.max(0, now - keys.sourceTsMs()), TimeUnit.MILLISECONDS);
            }
        }
        keysDeleted.increment(plain.size() + patterns.size());
        exchange.getMessage().setHeader("CacheInvalidationKeys", plain.size() + patterns.size());
        if (!rejected.isEmpty()) {
            exchange.getMessage().setHeader(RedisStreamConstants.REJECTED, rejected);
        }
    }

    private void deleteMatching(Jedis jedis, String pattern) {
        ScanParams params = new ScanParams().match(pattern).count(scanCount);
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = jedis.scan(cursor, params);
            if (!page.getResult().isEmpty()) {
                jedis.unlink(page.getResult().toArray(String[]::new));
            }
            cursor = page.getCursor();
        } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    }

    public String getRedisUri() {
        return redisUri;
    }

    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }

    public String getField() {
        return field;
    }

    public void setField(String field) {
        this.field = field;
    }

    public int getScanCount() {
        return scanCount;
    }

    public void setScanCount(int scanCount) {
        this.scanCount = scanCount;
    }
}
