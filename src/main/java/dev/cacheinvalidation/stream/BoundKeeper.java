package dev.cacheinvalidation.stream;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a stream under its bound ({@link TrimPoint}), checked periodically by the producer, also while
 * nothing is written, so that a stream that grew during a worker outage shrinks once the workers caught up.
 * While the unacknowledged entries alone exceed the bound they are kept, and that is said once in the log, in
 * the producer's readiness and in the metric {@code redis_stream_retained_over_bound}.
 */
final class BoundKeeper {

    private static final Logger LOG = LoggerFactory.getLogger(BoundKeeper.class);

    private final StreamClient client;
    private final String stream;
    private final long maxLen;
    private final AtomicLong trimmed = new AtomicLong();
    private volatile long length;
    private volatile String overBound;

    /** The bound of the configuration's stream, {@code maxLen}, kept through this client. */
    BoundKeeper(StreamClient client, RedisStreamConfiguration config) {
        this.client = client;
        this.stream = config.getStream();
        this.maxLen = config.getMaxLen();
    }

    void registerMeters(MeterRegistry meters) {
        Gauge.builder("redis_stream_retained_over_bound", this, BoundKeeper::retainedOverBound).tag("stream", stream)
                .description("Entries above stream.maxLen kept because not every consumer group acknowledged them")
                .register(meters);
        FunctionCounter.builder("redis_stream_trimmed", trimmed, AtomicLong::get).tag("stream", stream)
                .description("Acknowledged entries trimmed to keep the stream under its bound").register(meters);
    }

    /** One check: trims what every group acknowledged once the stream is above its bound. */
    void check() {
        long now = client.length(stream);
        TrimPoint.Decision decision = TrimPoint.decide(maxLen, now,
                now > maxLen ? client.groups(stream) : List.of());
        if (decision.trimBefore() != null) {
            trimmed.addAndGet(client.trimBefore(stream, decision.trimBefore()));
            now = client.length(stream);
        }
        length = now;
        String reason = null;
        if (TrimPoint.overBound(maxLen, now)) {
            reason = decision.reason() != null ? decision.reason() : "its entries are not yet acknowledged by every consumer group";
        }
        if (reason != null && overBound == null) {
            LOG.warn("Stream {} holds {} entries, above its bound of {} (stream.maxLen), because {}: keeping them;"
                    + " no unacknowledged entry is trimmed", stream, now, maxLen, reason);
        } else if (reason == null && overBound != null) {
            LOG.info("Stream {} is back under its bound of {} ({} entries)", stream, maxLen, now);
        }
        overBound = reason;
    }

    /** Why the stream is above its bound, or null when it is not. */
    String problem() {
        String reason = overBound;
        return reason == null ? null : "stream " + stream + " holds " + length + " entries, above its bound of " + maxLen
                + ", because " + reason;
    }

    long retainedOverBound() {
        return overBound == null ? 0 : Math.max(0, length - maxLen);
    }

    long trimmed() {
        return trimmed.get();
    }
}
