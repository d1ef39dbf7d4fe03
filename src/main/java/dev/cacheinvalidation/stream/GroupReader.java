package dev.cacheinvalidation.stream;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import dev.cacheinvalidation.redis.RedisFailure;
import dev.cacheinvalidation.retry.Backoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer of the group, reading until stopped: first its own pending entries (those of a previous run under
 * the same name), now and then entries other consumers left pending (claimed), else new entries; each batch goes
 * to the route, and is acknowledged, retried, dead-lettered or held for their redelete as the route answers (see
 * {@link RedisStreamConsumer}).
 */
final class GroupReader implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupReader.class);
    /** How far before a lost entry's time its change may have been committed: a margin for the pipeline's delay. */
    private static final long LOST_RANGE_MARGIN_MS = 60_000;

    /** The route: runs one exchange over the entries and returns those it rejected, with reasons. */
    @FunctionalInterface
    interface Route {
        Map<String, String> process(List<StreamMessage> messages, String consumerName, boolean redelete) throws Exception;
    }

    /** What the readers of one consumer share: meters, the failure readiness reports, the group's last progress. */
    static final class Shared {
        final Counter acked;
        final Counter deadLettered;
        final Counter vanished;
        final AtomicLong awaitingRedelete = new AtomicLong();
        volatile String failure;
        /** The last time seen before which the group had acknowledged every entry (-1: none seen yet). */
        volatile long doneBeforeMs = -1;

        Shared(MeterRegistry meters, Tags tags) {
            acked = Counter.builder("redis_stream_entries_acked").tags(tags).register(meters);
            deadLettered = Counter.builder("redis_stream_entries_dead_lettered").tags(tags).register(meters);
            vanished = Counter.builder("redis_stream_group_vanished")
                    .description("Times the stream or its group disappeared under a running worker (eviction,"
                            + " FLUSHALL, DEL), each a range of changes that may not have been invalidated")
                    .tags(tags).register(meters);
            Gauge.builder("redis_stream_entries_awaiting_redelete", awaitingRedelete::get)
                    .description("Entries processed once and held, unacknowledged, for their redelete").tags(tags)
                    .register(meters);
        }
    }

    private final GroupCommands client;
    private final RedisStreamConfiguration config;
    private final String consumerName;
    private final Route route;
    private final BooleanSupplier running;
    private final Shared shared;
    private final Backoff backoff;
    private long failingSince;
    private boolean groupReady;
    /** The group existed once: found missing after, it vanished (a loss to report, not a first start). */
    private boolean groupSeen;
    private boolean ownPendingDone;
    private String ownPendingCursor = "0-0";
    private String claimCursor = "0-0";
    private long nextClaim;
    /** Batches processed once, oldest first, held unacknowledged for their redelete. */
    private final ArrayDeque<Deferred> deferred = new ArrayDeque<>();
    private final Set<String> deferredIds = new HashSet<>();

    GroupReader(GroupCommands client, RedisStreamConfiguration config, String consumerName, Route route,
            BooleanSupplier running, Shared shared) {
        this.client = client;
        this.config = config;
        this.consumerName = consumerName;
        this.route = route;
        this.running = running;
        this.shared = shared;
        this.backoff = new Backoff(config.getRetryInitialMs(), config.getRetryMaxMs());
    }

    @Override
    public void run() {
        LOG.info("Consumer {} reading stream {} in group {} on {}", consumerName, config.getStream(), config.getGroup(),
                client);
        while (running.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
            try {
                poll();
                recovered();
            } catch (Exception e) {
                if (!running.getAsBoolean()) {
                    break;
                }
                failed("reading stream " + config.getStream(), e);
                startOver();
                if (!backoff.pause()) {
                    break;
                }
            }
        }
    }

    /** After a failure: the group is checked again, and this consumer's own pending entries read again first. */
    void startOver() {
        ownPendingDone = false;
        ownPendingCursor = "0-0";
        groupReady = false;
    }

    /** One step: a redelete that is due, else a read of own pending, claimed or new entries, and its handling. */
    void poll() {
        if (!groupReady) {
            if (client.ensureGroup(config.getStream(), config.getGroup()) && groupSeen) {
                groupVanished();
            }
            groupReady = true;
            groupSeen = true;
        }
        if (!deferred.isEmpty() && deferred.peek().dueAt() <= System.currentTimeMillis()) {
            redelete(deferred.peek().messages());
            Deferred done = deferred.poll();
            shared.awaitingRedelete.addAndGet(-done.messages().size());
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
                // entries already waiting here for their redelete are not processed anew
                handle(own.stream().filter(message -> !deferredIds.contains(message.id())).toList(), Map.of());
            }
            return;
        }
        if (System.currentTimeMillis() >= nextClaim) {
            GroupCommands.Claimed claimed = client.claim(config.getStream(), config.getGroup(), consumerName,
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
        List<StreamMessage> read = client.readNew(config.getStream(), config.getGroup(), consumerName,
                config.getBatchSize(), block);
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
        client.ack(config.getStream(), config.getGroup(), ids(gone));
        deadLetter(poison, reasons);
        for (int attempt = 1; !todo.isEmpty(); attempt++) {
            Map<String, String> rejected = process(todo, false);
            List<StreamMessage> accepted = new ArrayList<>(todo.size());
            List<StreamMessage> again = new ArrayList<>();
            for (StreamMessage message : todo) {
                (rejected.containsKey(message.id()) ? again : accepted).add(message);
            }
            if (config.getRedeleteAfterMs() > 0) {
                holdForRedelete(accepted);
            } else {
                acknowledge(accepted);
            }
            if (!again.isEmpty() && attempt >= config.getMaxDeliveries()) {
                deadLetter(again, rejected);
                break;
            }
            todo = again;
        }
    }

    private void holdForRedelete(List<StreamMessage> accepted) {
        if (accepted.isEmpty()) {
            return;
        }
        deferred.add(new Deferred(System.currentTimeMillis() + config.getRedeleteAfterMs(), accepted));
        accepted.forEach(message -> deferredIds.add(message.id()));
        shared.awaitingRedelete.addAndGet(accepted.size());
    }

    /** The route sees the entries again; they were accepted the first time, so now they are acknowledged. */
    private void redelete(List<StreamMessage> messages) {
        process(messages, true);
        acknowledge(messages);
    }

    private void acknowledge(List<StreamMessage> messages) {
        client.ack(config.getStream(), config.getGroup(), ids(messages));
        shared.acked.increment(messages.size());
    }

    private static List<String> ids(List<StreamMessage> messages) {
        return messages.stream().map(StreamMessage::id).toList();
    }

    /** Runs the route until it completes; returns the entries it rejected, with reasons. */
    private Map<String, String> process(List<StreamMessage> messages, boolean redelete) {
        while (true) {
            try {
                Map<String, String> rejected = route.process(new ArrayList<>(messages), consumerName, redelete);
                recovered();
                return rejected == null ? Map.of() : rejected;
            } catch (Exception error) {
                failed("processing " + messages.size() + " entries", error);
                if (!running.getAsBoolean() || !backoff.pause()) {
                    throw new IllegalStateException("stopped before entries were processed; they stay pending", error);
                }
            }
        }
    }

    private void deadLetter(List<StreamMessage> messages, Map<String, String> reasons) {
        if (messages.isEmpty()) {
            return;
        }
        client.deadLetter(config.getStream(), config.getGroup(), config.getDeadLetterStream(), messages, reasons);
        shared.deadLettered.increment(messages.size());
        for (StreamMessage message : messages) {
            LOG.error("Dead-lettered entry {} of {} to {}: {}", message.id(), config.getStream(),
                    config.getDeadLetterStream(), reasons.get(message.id()));
        }
    }

    private record Deferred(long dueAt, List<StreamMessage> messages) {
    }

    /**
     * The stream or the group disappeared: entries unread or unacknowledged then are gone. Said at once, with the
     * time from which changes may not have been invalidated (entry ids are the time they were written; the changes
     * were committed a little before, by the pipeline's delay); the group is created again loudly.
     */
    private void groupVanished() {
        shared.vanished.increment();
        long since = shared.doneBeforeMs;
        String from = since < 0 ? "the start of the stream (the group's progress had not been sampled yet)"
                : Instant.ofEpochMilli(since) + " (changes committed from about "
                        + Instant.ofEpochMilli(since - LOST_RANGE_MARGIN_MS) + ")";
        String replay = since < 0 ? "replay --since <the time the stream was created>"
                : "replay --since " + Instant.ofEpochMilli(since - LOST_RANGE_MARGIN_MS);
        LOG.error("Stream {} or its consumer group {} vanished from {} while the worker ran (evicted, FLUSHALL or"
                + " DEL): the invalidations written to it from {} on may be lost; invalidate those changes again"
                + " with `java -jar cache-invalidation.jar {}`. The group is created anew and reading goes on",
                config.getStream(), config.getGroup(), client, from, replay);
    }

    private void failed(String what, Exception e) {
        if (failingSince == 0) {
            failingSince = System.currentTimeMillis();
            shared.failure = "consumer " + consumerName + " failing since " + Instant.ofEpochMilli(failingSince)
                    + ": " + RedisFailure.describe(e);
            LOG.warn("Consumer {} failed {} ({}); retrying with backoff, entries stay pending", consumerName, what,
                    RedisFailure.describe(e));
        }
    }

    private void recovered() {
        backoff.reset();
        if (failingSince != 0) {
            shared.failure = null;
            LOG.info("Consumer {} recovered after {} ms", consumerName, System.currentTimeMillis() - failingSince);
            failingSince = 0;
        }
    }
}
