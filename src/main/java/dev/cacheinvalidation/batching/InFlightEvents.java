package dev.cacheinvalidation.batching;

import dev.cacheinvalidation.config.ConfigurationException;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Bounds the row changes the pipeline holds between the binlog reader and the stream (the aggregator, the
 * hand-over queue, the script's input and output), whatever the size of a transaction or of the backlog.
 * <p>
 * Each change is {@linkplain #admit admitted} as it enters; once {@code limit} changes are in flight the binlog
 * thread waits until a batch is {@linkplain #released released}, and because it is the thread that takes records
 * from Debezium's queue, the binlog reader waits too (back-pressure). It waits only while batches are
 * {@linkplain #handedOver on their way} to the stream: when everything in flight is still in the aggregator (a
 * transaction being sliced, a batch not yet closed), blocking would wait for a release that cannot come, so the
 * change is let through; the aggregator itself holds at most a slice and a batch.
 * <p>
 * A change costs two reads and an atomic increment; only a wait takes the lock, and only a batch's release.
 */
public final class InFlightEvents {

    private static final long WAIT_SLICE_MS = 1000;

    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong handedOver = new AtomicLong();
    private final AtomicLong waits = new AtomicLong();
    private volatile int limit;

    /**
     * For every row change as it enters: waits while {@code limit} are in flight and some are on their way to the
     * stream, unless {@code stopping} (the writer may give up on its batch then, which is read again on start).
     */
    public void admit(BooleanSupplier stopping) {
        if (inFlight.get() >= limit && handedOver.get() > 0) {
            waitForRoom(stopping);
        }
        inFlight.incrementAndGet();
    }

    private synchronized void waitForRoom(BooleanSupplier stopping) {
        boolean waited = false;
        while (inFlight.get() >= limit && handedOver.get() > 0 && !stopping.getAsBoolean()) {
            waited = true;
            try {
                wait(WAIT_SLICE_MS);
            } catch (InterruptedException e) {
                // stopping: let the change through, it is either written or read again after the restart
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (waited) {
            waits.incrementAndGet();
        }
    }

    /** A batch of this many changes leaves the aggregator for the writer. */
    public void handedOver(int events) {
        handedOver.addAndGet(events);
    }

    /** A handed-over batch's exchange has ended, in a stream or failed: its changes leave memory. */
    public void released(int events) {
        inFlight.accumulateAndGet(events, (count, gone) -> Math.max(0, count - gone));
        handedOver.accumulateAndGet(events, (count, gone) -> Math.max(0, count - gone));
        synchronized (this) {
            notifyAll();
        }
    }

    /** Row changes admitted and not yet released. */
    public long inFlight() {
        return inFlight.get();
    }

    /** How often the binlog thread had to wait for the writer. */
    public long waits() {
        return waits.get();
    }

    public void setLimit(int limit) {
        if (limit < 1) {
            throw new ConfigurationException("batch.maxEventsInFlight must be at least 1, was " + limit);
        }
        this.limit = limit;
    }
}
