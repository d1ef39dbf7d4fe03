package dev.cacheinvalidation.stream;

import dev.cacheinvalidation.retry.Backoff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.cacheinvalidation.redis.RedisFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <li>With {@code reprocessAfterMs} above 0, accepted entries are handed to the route a second time that long after
 * (header {@link RedisStreamConstants#PASS} 2), and acknowledged only after that pass succeeds.</li>
 * <li>Every {@code statsIntervalMs} the stream and the group are sampled: length, lag, pending, and the oldest entry
 * not acknowledged (the oldest pending one, else the first after the group's last delivered id), whose id's time
 * says how long the oldest change has waited. Readiness is DOWN while the lag exceeds {@code maxLag} or that age
 * {@code maxChangeAgeMs}: at most one interval after the bound is passed.</li>
 * </ul>
 */
public class RedisStreamConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamConsumer.class);
    /** How far before a lost entry's time its change may have been committed: a margin for the pipeline's delay. */
    private static final long LOST_RANGE_MARGIN_MS = 60_000;

    private final RedisStreamConfiguration config;
    private StreamClient client;
    private ExecutorService executor;
    private ScheduledExecutorService statsSampler;
    private RedisStreamHealthCheck healthCheck;
    private EvictionGuard evictionGuard;
    private volatile StreamClient.GroupStats stats = new StreamClient.GroupStats(0, 0, 0, -1, -1);
    /** How old the oldest entry the group had not acknowledged was when last sampled (0: none). */
    private volatile long oldestUnackedAgeMs;
    /** Dead letters waiting in the dead-letter stream when last sampled: some keys may be stale while there are any. */
    private volatile long deadLettersWaiting;
    /** The last time seen before which the group had acknowledged every entry (-1: none seen yet). */
    private volatile long doneBeforeMs = -1;
    private Counter vanished;
    private volatile String failure;
    private Counter acked;
    private Counter deadLettered;
    private final AtomicLong awaitingSecondPass = new AtomicLong();

    public RedisStreamConsumer(RedisStreamEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.config = endpoint.getConfiguration();
    }

    @Override
    public RedisStreamEndpoint getEndpoint() {
        return (RedisStreamEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (config.getReprocessAfterMs() > 0 && config.getReprocessAfterMs() >= config.getClaimIdleMs()) {
            // others would take over entries that wait for their second pass, and count them as failed deliveries
            throw new IllegalArgumentException("reprocessAfterMs (" + config.getReprocessAfterMs()
                    + ") must be below claimIdleMs (" + config.getClaimIdleMs() + ")");
        }
        if (config.getMaxChangeAgeMs() > 0 && config.getReprocessAfterMs() >= config.getMaxChangeAgeMs()) {
            // entries wait unacknowledged for their second pass: readiness would go DOWN with each of them
            throw new IllegalArgumentException("maxChangeAgeMs (" + config.getMaxChangeAgeMs()
                    + ") must be above reprocessAfterMs (" + config.getReprocessAfterMs() + ")");
        }
        int threads = Math.max(1, config.getConcurrentConsumers());
        String baseName = config.getConsumerName() != null && !config.getConsumerName().isBlank()
                ? config.getConsumerName() : "worker-" + ProcessHandle.current().pid();
        client = getEndpoint().createClient(threads + 1, baseName);
        evictionGuard = new EvictionGuard(client, config.getStream());
        evictionGuard.start(getEndpoint().getCamelContext(), this, config.getEvictionCheckMs());
        executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "redis-stream-consumer", threads);
        for (int i = 0; i < threads; i++) {
            String name = i == 0 ? baseName : baseName + "-" + i;
            executor.submit(new ReadLoop(name));
        }
        registerMetricsAndHealth();
    }

    private void registerMetricsAndHealth() {
        MeterRegistry meters = StreamMeters.registry(getEndpoint().getCamelContext());
        Tags tags = Tags.of("stream", config.getStream(), "group", config.getGroup());
        acked = Counter.builder("redis_stream_entries_acked").tags(tags).register(meters);
        deadLettered = Counter.builder("redis_stream_entries_dead_lettered").tags(tags).register(meters);
        vanished = Counter.builder("redis_stream_group_vanished")
                .description("Times the stream or its group disappeared under a running worker (eviction, FLUSHALL, DEL),"
                        + " each a range of changes that may not have been invalidated")
                .tags(tags).register(meters);
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
        Gauge.builder("redis_stream_entries_awaiting_second_pass", awaitingSecondPass::get)
                .description("Entries processed once and held, unacknowledged, for their second pass").tags(tags)
                .register(meters);
        statsSampler = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "redis-stream-stats");
        statsSampler.scheduleWithFixedDelay(() -> {
            try {
                stats = client.stats(config.getStream(), config.getGroup());
                oldestUnackedAgeMs = stats.oldestUnackedMs() < 0 ? 0
                        : Math.max(0, System.currentTimeMillis() - stats.oldestUnackedMs());
                if (stats.doneBeforeMs() >= 0) {
                    doneBeforeMs = stats.doneBeforeMs();
                }
                String deadLetters = config.getDeadLetterStream();
                deadLettersWaiting = deadLetters == null || deadLetters.isBlank() ? 0 : client.length(deadLetters);
            } catch (RuntimeException e) {
                // the read loops report Redis failures
            }
        }, 0, Math.max(100, config.getStatsIntervalMs()), TimeUnit.MILLISECONDS);
        healthCheck = new RedisStreamHealthCheck("consumer-" + config.getStream() + "-" + config.getGroup(), () -> {
            if (failure != null) {
                return failure;
            }
            if (evictionGuard.problem() != null) {
                return evictionGuard.problem();
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
        healthCheck.register(getEndpoint().getCamelContext());
    }

    @Override
    protected void doStop() throws Exception {
        if (healthCheck != null) {
            healthCheck.unregister(getEndpoint().getCamelContext());
        }
        if (statsSampler != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(statsSampler);
            statsSampler = null;
        }
        if (executor != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(executor);
            executor = null;
        }
        if (evictionGuard != null) {
            evictionGuard.stop(getEndpoint().getCamelContext());
        }
        if (client != null) {
            client.close();
            client = null;
        }
        super.doStop();
    }

    private final class ReadLoop implements Runnable {
        private final String consumerName;
        private final Backoff backoff = new Backoff(config.getRetryInitialMs(), config.getRetryMaxMs());
        private long failingSince;
        private boolean groupReady;
        /** The group existed once: found missing after, it vanished (a loss to report, not a first start). */
        private boolean groupSeen;
        private boolean ownPendingDone;
        private String ownPendingCursor = "0-0";
        private String claimCursor = "0-0";
        private long nextClaim;
        /** Batches processed once, oldest first, held unacknowledged for their second pass. */
        private final ArrayDeque<Deferred> deferred = new ArrayDeque<>();
        private final Set<String> deferredIds = new HashSet<>();

        ReadLoop(String consumerName) {
            this.consumerName = consumerName;
        }

        @Override
        public void run() {
            LOG.info("Consumer {} reading stream {} in group {} on {}", consumerName, config.getStream(), config.getGroup(),
                    client);
            while (isRunAllowed() && !Thread.currentThread().isInterrupted()) {
                try {
                    poll();
                    recovered();
                } catch (Exception e) {
                    if (!isRunAllowed()) {
                        break;
                    }
                    failed("reading stream " + config.getStream(), e);
                    ownPendingDone = false;
                    ownPendingCursor = "0-0";
                    groupReady = false;
                    if (!backoff.pause()) {
                        break;
                    }
                }
            }
        }

        private void poll() {
            if (!groupReady) {
                if (client.ensureGroup(config.getStream(), config.getGroup()) && groupSeen) {
                    groupVanished();
                }
                groupReady = true;
                groupSeen = true;
            }
            if (!deferred.isEmpty() && deferred.peek().dueAt() <= System.currentTimeMillis()) {
                secondPass(deferred.peek().messages());
                Deferred done = deferred.poll();
                awaitingSecondPass.addAndGet(-done.messages().size());
                done.messages().forEach(message -> deferredIds.remove(message.id()));
                return;
            }
            if (!ownPendingDone) {
                List<StreamMessage> own = client.readOwnPending(config.getStream(), config.getGroup(), consumerName,
                        config.getBatchSize(), ownPendingCursor);
                if (own.isEmpty()) {
                    ownPendingDone = true;
                    ownPendingCursor = "0-0";
                } else {
                    ownPendingCursor = own.get(own.size() - 1).id();
                    // entries already waiting here for their second pass are not processed anew
                    handle(own.stream().filter(message -> !deferredIds.contains(message.id())).toList(), Map.of());
                }
                return;
            }
            if (System.currentTimeMillis() >= nextClaim) {
                StreamClient.Claimed claimed = client.claim(config.getStream(), config.getGroup(), consumerName,
                        config.getClaimIdleMs(), claimCursor, config.getBatchSize());
                claimCursor = claimed.next();
                if ("0-0".equals(claimCursor)) {
                    nextClaim = System.currentTimeMillis() + Math.max(1000, config.getClaimIdleMs() / 2);
                }
                if (!claimed.messages().isEmpty()) {
                    LOG.info("Consumer {} took over {} entries left pending by other consumers", consumerName,
                            claimed.messages().size());
                    handle(claimed.messages(), claimed.deliveries());
                }
                return;
            }
            long block = config.getBlockMs();
            if (!deferred.isEmpty()) {
                block = Math.max(1, Math.min(block, deferred.peek().dueAt() - System.currentTimeMillis()));
            }
            List<StreamMessage> read = client.readGroup(config.getStream(), config.getGroup(), consumerName,
                    config.getBatchSize(), block, false);
            if (!read.isEmpty()) {
                handle(read, Map.of());
            }
        }

        private void handle(List<StreamMessage> batch, Map<String, Long> deliveries) {
            List<StreamMessage> todo = new ArrayList<>(batch.size());
            List<StreamMessage> gone = new ArrayList<>();
            List<StreamMessage> poison = new ArrayList<>();
            Map<String, String> reasons = new HashMap<>();
            for (StreamMessage message : batch) {
                long delivered = deliveries.getOrDefault(message.id(), 1L);
                if (!message.hasFields()) {
                    gone.add(message);
                } else if (delivered > config.getMaxDeliveries()) {
                    poison.add(message);
                    reasons.put(message.id(), "delivered " + delivered + " times without being acknowledged");
                } else {
                    todo.add(message);
                }
            }
            // pending entries that were trimmed from the stream have nothing left to process
            client.ack(config.getStream(), config.getGroup(), gone.stream().map(StreamMessage::id).toList());
            deadLetter(poison, reasons);
            for (int attempt = 1; !todo.isEmpty(); attempt++) {
                Map<String, String> rejected = process(todo, 1);
                List<StreamMessage> accepted = new ArrayList<>(todo.size());
                List<StreamMessage> again = new ArrayList<>();
                for (StreamMessage message : todo) {
                    (rejected.containsKey(message.id()) ? again : accepted).add(message);
                }
                if (config.getReprocessAfterMs() > 0) {
                    holdForSecondPass(accepted);
                } else {
                    client.ack(config.getStream(), config.getGroup(), accepted.stream().map(StreamMessage::id).toList());
                    acked.increment(accepted.size());
                }
                if (!again.isEmpty() && attempt >= config.getMaxDeliveries()) {
                    deadLetter(again, rejected);
                    break;
                }
                todo = again;
            }
        }

        private void holdForSecondPass(List<StreamMessage> accepted) {
            if (accepted.isEmpty()) {
                return;
            }
            deferred.add(new Deferred(System.currentTimeMillis() + config.getReprocessAfterMs(), accepted));
            accepted.forEach(message -> deferredIds.add(message.id()));
            awaitingSecondPass.addAndGet(accepted.size());
        }

        /** The route sees the entries again; they were accepted the first time, so now they are acknowledged. */
        private void secondPass(List<StreamMessage> messages) {
            process(messages, 2);
            client.ack(config.getStream(), config.getGroup(), messages.stream().map(StreamMessage::id).toList());
            acked.increment(messages.size());
        }

        /** Runs the route until it completes; returns the entries it rejected, with reasons. */
        private Map<String, String> process(List<StreamMessage> messages, int pass) {
            while (true) {
                Exchange exchange = createExchange(false);
                try {
                    exchange.getMessage().setBody(new ArrayList<>(messages));
                    exchange.getMessage().setHeader(RedisStreamConstants.STREAM, config.getStream());
                    exchange.getMessage().setHeader(RedisStreamConstants.GROUP, config.getGroup());
                    exchange.getMessage().setHeader(RedisStreamConstants.CONSUMER, consumerName);
                    exchange.getMessage().setHeader(RedisStreamConstants.PASS, pass);
                    getProcessor().process(exchange);
                } catch (Exception e) {
                    exchange.setException(e);
                }
                Exception error = exchange.getException();
                if (error == null) {
                    @SuppressWarnings("unchecked")
                    Map<String, String> rejected = exchange.getMessage().getHeader(RedisStreamConstants.REJECTED, Map.class);
                    releaseExchange(exchange, false);
                    recovered();
                    return rejected == null ? Map.of() : rejected;
                }
                releaseExchange(exchange, false);
                failed("processing " + messages.size() + " entries", error);
                if (!isRunAllowed() || !backoff.pause()) {
                    throw new IllegalStateException("stopped before entries were processed; they stay pending", error);
                }
            }
        }

        private void deadLetter(List<StreamMessage> messages, Map<String, String> reasons) {
            if (messages.isEmpty()) {
                return;
            }
            client.deadLetter(config.getStream(), config.getGroup(), config.getDeadLetterStream(), messages, reasons);
            deadLettered.increment(messages.size());
            for (StreamMessage message : messages) {
                LOG.error("Dead-lettered entry {} of {} to {}: {}", message.id(), config.getStream(),
                        config.getDeadLetterStream(), reasons.get(message.id()));
            }
        }

        private record Deferred(long dueAt, List<StreamMessage> messages) {
        }

        /**
         * The stream or the group disappeared: entries unread or unacknowledged then are gone. Said at once, with
         * the time from which changes may not have been invalidated (entry ids are the time they were written; the
         * changes were committed a little before, by the pipeline's delay); the group is created again loudly.
         */
        private void groupVanished() {
            vanished.increment();
            long since = doneBeforeMs;
            String from = since < 0 ? "the start of the stream (the group's progress had not been sampled yet)"
                    : java.time.Instant.ofEpochMilli(since).toString() + " (changes committed from about "
                            + java.time.Instant.ofEpochMilli(since - LOST_RANGE_MARGIN_MS) + ")";
            String replay = since < 0 ? "replay --since <the time the stream was created>"
                    : "replay --since " + java.time.Instant.ofEpochMilli(since - LOST_RANGE_MARGIN_MS);
            LOG.error("Stream {} or its consumer group {} vanished from {} while the worker ran (evicted, FLUSHALL or"
                    + " DEL): the invalidations written to it from {} on may be lost; invalidate those changes again"
                    + " with `java -jar cache-invalidation.jar {}`. The group is created anew and reading goes on",
                    config.getStream(), config.getGroup(), client, from, replay);
        }

        private void failed(String what, Exception e) {
            if (failingSince == 0) {
                failingSince = System.currentTimeMillis();
                failure = "consumer " + consumerName + " failing since " + java.time.Instant.ofEpochMilli(failingSince)
                        + ": " + RedisFailure.describe(e);
                LOG.warn("Consumer {} failed {} ({}); retrying with backoff, entries stay pending", consumerName, what,
                        RedisFailure.describe(e));
            }
        }

        private void recovered() {
            backoff.reset();
            if (failingSince != 0) {
                failure = null;
                LOG.info("Consumer {} recovered after {} ms", consumerName, System.currentTimeMillis() - failingSince);
                failingSince = 0;
            }
        }
    }
}
