package dev.cacheinvalidation.stream;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.metrics.Meters;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;

/**
 * Reads the stream through a consumer group, up to {@code batchSize} entries per exchange (body: a list of
 * {@link StreamMessage}), and acknowledges them when the exchange completes without error.
 * <ul>
 * <li>An exchange that fails (for example Redis gone while the route deletes keys) is retried with backoff until
 * it succeeds or the consumer stops; nothing is acknowledged before.</li>
 * <li>Entries the route rejects one by one (header {@link RedisStreamConstants#REJECTED}) are tried again, up to
 * {@code maxDeliveries} times, then moved to the dead-letter stream with the reason and acknowledged.</li>
 * <li>On start a consumer first finishes its own pending entries; now and then it takes over entries that other
 * consumers left pending longer than {@code claimIdleMs} (XAUTOCLAIM), dead-lettering those already delivered
 * {@code maxDeliveries} times.</li>
 * <li>With {@code redeleteAfterMs} above 0, accepted entries are handed to the route again that long after, the
 * redelete (header {@link RedisStreamConstants#REDELETE} true), and acknowledged only after it succeeds.</li>
 * <li>Every {@code statsIntervalMs} the stream and the group are sampled: length, lag, pending, and the oldest entry
 * not acknowledged (the oldest pending one, else the first after the group's last delivered id), whose id's time
 * says how long the oldest change has waited. Readiness is DOWN while the lag exceeds {@code maxLag} or that age
 * {@code maxChangeAgeMs}: at most one interval after the bound is passed.</li>
 * </ul>
 */
public class RedisStreamConsumer extends DefaultConsumer {

    private final RedisStreamEndpoint endpoint;
    private final RedisStreamConfiguration config;
    private GuardedClient redis;
    private StreamClient client;
    private ExecutorService executor;
    private ScheduledExecutorService statsSampler;
    private RedisStreamHealthCheck healthCheck;
    private volatile GroupCommands.GroupStats stats = new GroupCommands.GroupStats(0, 0, 0, -1, -1);
    /** How old the oldest entry the group had not acknowledged was when last sampled (0: none). */
    private volatile long oldestUnackedAgeMs;
    /** Dead letters waiting in the dead-letter stream when last sampled: some keys may be stale while there are any. */
    private volatile long deadLettersWaiting;
    private GroupReader.Shared shared;

    public RedisStreamConsumer(RedisStreamEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.config = endpoint.getConfiguration();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (config.getRedeleteAfterMs() > 0 && config.getRedeleteAfterMs() >= config.getClaimIdleMs()) {
            // others would take over entries that wait for their redelete, and count them as failed deliveries
            throw new ConfigurationException("redeleteAfterMs (" + config.getRedeleteAfterMs()
                    + ") must be below claimIdleMs (" + config.getClaimIdleMs() + ")");
        }
        if (config.getMaxChangeAgeMs() > 0 && config.getRedeleteAfterMs() >= config.getMaxChangeAgeMs()) {
            // entries wait unacknowledged for their redelete: readiness would go DOWN with each of them
            throw new ConfigurationException("maxChangeAgeMs (" + config.getMaxChangeAgeMs()
                    + ") must be above redeleteAfterMs (" + config.getRedeleteAfterMs() + ")");
        }
        if (config.getConcurrentConsumers() < 1 || config.getBatchSize() < 1) {
            throw new ConfigurationException("concurrentConsumers (worker.consumers) and batchSize (worker.batchSize) must"
                    + " be 1 or more, not " + config.getConcurrentConsumers() + " and " + config.getBatchSize());
        }
        int threads = config.getConcurrentConsumers();
        String baseName = config.getConsumerName() != null && !config.getConsumerName().isBlank()
                ? config.getConsumerName() : "worker-" + ProcessHandle.current().pid();
        redis = GuardedClient.open(endpoint, this, threads + 1, baseName);
        client = redis.client();
        registerMetricsAndHealth();
        executor = endpoint.getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "redis-stream-consumer", threads);
        for (int i = 0; i < threads; i++) {
            String name = i == 0 ? baseName : baseName + "-" + i;
            executor.submit(new GroupReader(client, config, name, this::route, this::isRunAllowed, shared));
        }
    }

    private void registerMetricsAndHealth() {
        MeterRegistry meters = Meters.registry(endpoint.getCamelContext());
        Tags tags = Tags.of("stream", config.getStream(), "group", config.getGroup());
        shared = new GroupReader.Shared(meters, tags);
        Gauge.builder("redis_stream_length", () -> stats.length()).tags(tags).register(meters);
        Gauge.builder("redis_stream_group_lag", () -> stats.lag()).tags(tags).register(meters);
        Gauge.builder("redis_stream_group_pending", () -> stats.pending()).tags(tags).register(meters);
        Gauge.builder("redis_stream_group_oldest_unacked_age_seconds", () -> oldestUnackedAgeMs / 1000.0)
                .description("How old (by its id's time) the oldest entry the group has not acknowledged, pending or"
                        + " not read yet, was at the last sample; 0 when every entry is acknowledged")
                .tags(tags).register(meters);
        Gauge.builder("redis_stream_dead_letters_waiting", () -> deadLettersWaiting)
                .description("Entries in the dead-letter stream at the last sample: while there are any, the keys of"
                        + " their changes may be stale (redrive puts them through again)")
                .tags(tags).register(meters);
        statsSampler = endpoint.getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "redis-stream-stats");
        statsSampler.scheduleWithFixedDelay(() -> {
            try {
                stats = client.stats(config.getStream(), config.getGroup());
                oldestUnackedAgeMs = stats.oldestUnackedMs() < 0 ? 0
                        : Math.max(0, System.currentTimeMillis() - stats.oldestUnackedMs());
                if (stats.doneBeforeMs() >= 0) {
                    shared.doneBeforeMs = stats.doneBeforeMs();
                }
                String deadLetters = config.getDeadLetterStream();
                deadLettersWaiting = deadLetters == null || deadLetters.isBlank() ? 0 : client.length(deadLetters);
            } catch (RuntimeException e) {
                // the read loops report Redis failures
            }
        }, 0, Math.max(100, config.getStatsIntervalMs()), TimeUnit.MILLISECONDS);
        healthCheck = new RedisStreamHealthCheck("consumer-" + config.getStream() + "-" + config.getGroup(), () -> {
            if (shared.failure != null) {
                return shared.failure;
            }
            if (redis.evictionProblem() != null) {
                return redis.evictionProblem();
            }
            if (config.getMaxLag() > 0 && stats.lag() > config.getMaxLag()) {
                return "group " + config.getGroup() + " lags " + stats.lag() + " entries (more than " + config.getMaxLag() + ")";
            }
            if (config.getMaxChangeAgeMs() > 0 && oldestUnackedAgeMs > config.getMaxChangeAgeMs()) {
                return "the oldest entry group " + config.getGroup() + " has not acknowledged is " + oldestUnackedAgeMs
                        + " ms old (more than " + config.getMaxChangeAgeMs() + ")";
            }
            return null;
        }, () -> Map.of("stream", config.getStream(), "group", config.getGroup(), "length", stats.length(),
                "lag", stats.lag(), "pending", stats.pending(), "oldestUnackedAgeMs", oldestUnackedAgeMs,
                "deadLettersWaiting", deadLettersWaiting));
        healthCheck.register(endpoint.getCamelContext());
    }

    @Override
    protected void doStop() throws Exception {
        if (healthCheck != null) {
            healthCheck.unregister(endpoint.getCamelContext());
        }
        if (statsSampler != null) {
            endpoint.getCamelContext().getExecutorServiceManager().shutdownNow(statsSampler);
            statsSampler = null;
        }
        if (executor != null) {
            endpoint.getCamelContext().getExecutorServiceManager().shutdownGraceful(executor);
            executor = null;
        }
        if (redis != null) {
            redis.close();
            redis = null;
        }
        super.doStop();
    }

    /** One exchange over the entries: the route's answer, the entries it rejected, or its error. */
    private Map<String, String> route(List<StreamMessage> messages, String consumerName, boolean redelete) throws Exception {
        Exchange exchange = createExchange(false);
        try {
            exchange.getMessage().setBody(messages);
            exchange.getMessage().setHeader(RedisStreamConstants.STREAM, config.getStream());
            exchange.getMessage().setHeader(RedisStreamConstants.GROUP, config.getGroup());
            exchange.getMessage().setHeader(RedisStreamConstants.CONSUMER, consumerName);
            exchange.getMessage().setHeader(RedisStreamConstants.REDELETE, redelete);
            try {
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            if (exchange.getException() != null) {
                throw exchange.getException();
            }
            @SuppressWarnings("unchecked")
            Map<String, String> rejected = exchange.getMessage().getHeader(RedisStreamConstants.REJECTED, Map.class);
            return rejected;
        } finally {
            releaseExchange(exchange, false);
        }
    }
}
