package dev.cacheinvalidation.stream;

import dev.cacheinvalidation.metrics.Meters;
import dev.cacheinvalidation.retry.Backoff;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Timer;

import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.cacheinvalidation.redis.RedisFailure;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Appends the body to the stream: a collection becomes one entry per element, written all or none in one round
 * trip (MULTI/EXEC), in order; anything else one entry. Header {@link RedisStreamConstants#EXTRA_FIELDS} adds
 * fields to every entry. While Redis fails the producer holds the exchange and
 * retries with bounded exponential backoff, logging once when Redis goes away and once when it is back, so a
 * batch is never dropped and its caller (the binlog reader) stops taking new events meanwhile. With a maxLen, the
 * stream is kept under it by trimming only what every consumer group acknowledged ({@link BoundKeeper}). A
 * Redis that would evict the stream is refused ({@link EvictionGuard}).
 */
public class RedisStreamProducer extends DefaultProducer {

    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamProducer.class);

    private final RedisStreamConfiguration config;
    private GuardedClient redis;
    private StreamClient client;
    private volatile long unavailableSince;
    private Timer appendTimer;
    private RedisStreamHealthCheck healthCheck;
    private BoundKeeper trimmer;
    private ScheduledExecutorService trimming;

    public RedisStreamProducer(RedisStreamEndpoint endpoint) {
        super(endpoint);
        this.config = endpoint.getConfiguration();
    }

    @Override
    public RedisStreamEndpoint getEndpoint() {
        return (RedisStreamEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        redis = GuardedClient.open(getEndpoint(), this, 2, "redis-stream-producer");
        client = redis.client();
        appendTimer = Timer.builder("redis_stream_append").description("Time to append one batch (MULTI/EXEC)")
                .tag("stream", config.getStream()).publishPercentileHistogram()
                .register(Meters.registry(getEndpoint().getCamelContext()));
        if (config.getMaxLen() > 0) {
            startTrimming();
        }
        healthCheck = new RedisStreamHealthCheck("producer-" + config.getStream(),
                () -> unavailableSince != 0 ? "cannot write to Redis since " + java.time.Instant.ofEpochMilli(unavailableSince)
                        : redis.evictionProblem() != null ? redis.evictionProblem()
                        : trimmer != null ? trimmer.problem() : null,
                () -> Map.of("stream", config.getStream()));
        healthCheck.register(getEndpoint().getCamelContext());
    }

    /** The bound (maxLen) is kept by trimming only acknowledged entries, checked every trimIntervalMs. */
    private void startTrimming() {
        trimmer = new BoundKeeper(client, config);
        trimmer.registerMeters(Meters.registry(getEndpoint().getCamelContext()));
        trimming = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "redis-stream-trim-" + config.getStream());
        trimming.scheduleWithFixedDelay(() -> {
            try {
                trimmer.check();
            } catch (RuntimeException e) {
                // Redis away: the writer reports it; the next check trims
                LOG.debug("Cannot check the bound of stream {}: {}", config.getStream(), e.getMessage());
            }
        }, config.getTrimIntervalMs(), config.getTrimIntervalMs(), TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() throws Exception {
        if (healthCheck != null) {
            healthCheck.unregister(getEndpoint().getCamelContext());
        }
        if (trimming != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(trimming);
        }
        if (redis != null) {
            redis.close();
        }
        super.doStop();
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        List<String> values = values(exchange.getMessage().getBody());
        @SuppressWarnings("unchecked")
        Map<String, String> extra = exchange.getMessage().getHeader(RedisStreamConstants.EXTRA_FIELDS, Map.class);
        Map<String, String> extraFields = extra == null ? Map.of() : extra;
        Backoff backoff = new Backoff(config.getRetryInitialMs(), config.getRetryMaxMs());
        while (true) {
            try {
                long start = System.nanoTime();
                List<String> ids = client.append(config.getStream(), config.getField(), values, extraFields);
                appendTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                exchange.getMessage().setHeader(RedisStreamConstants.ENTRY_IDS, ids);
                if (unavailableSince != 0) {
                    LOG.info("Redis is writable again after {} ms; stream {} resumed",
                            System.currentTimeMillis() - unavailableSince, config.getStream());
                    unavailableSince = 0;
                }
                return;
            } catch (JedisException e) {
                if (unavailableSince == 0) {
                    unavailableSince = System.currentTimeMillis();
                    LOG.warn("Cannot write to stream {} ({}); holding {} entries and retrying until Redis accepts them",
                            config.getStream(), RedisFailure.describe(e), values.size());
                }
                if (!isRunAllowed() || getEndpoint().getCamelContext().isStopping() || !backoff.pause()) {
                    throw e;
                }
            }
        }
    }

    private static List<String> values(Object body) {
        if (body == null) {
            return List.of();
        }
        if (body instanceof Collection<?> items) {
            List<String> values = new ArrayList<>(items.size());
            for (Object item : items) {
                values.add(String.valueOf(item));
            }
            return values;
        }
        return List.of(body.toString());
    }
}
