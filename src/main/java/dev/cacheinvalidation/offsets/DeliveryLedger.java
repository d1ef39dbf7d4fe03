package dev.cacheinvalidation.offsets;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The gate's books: every record gets an arrival number as it enters; batches report the ranges of numbers they
 * delivered, in any order; {@link #deliveredUpTo} is the number below which everything is delivered. An offset
 * write is held until every record that had arrived when it was asked for is delivered, then run, in the order
 * the writes were asked for.
 */
final class DeliveryLedger {

    private final LongSupplier clockMs;
    private final AtomicLong arrived = new AtomicLong();
    private final TreeMap<Long, Long> deliveredRanges = new TreeMap<>();
    private final Deque<HeldWrite> held = new ArrayDeque<>();
    private volatile long deliveredUpTo;
    private volatile long lastProgressMs;

    DeliveryLedger(LongSupplier clockMs) {
        this.clockMs = clockMs;
        this.lastProgressMs = clockMs.getAsLong();
    }

    /** The next arrival number. */
    long arrive() {
        long number = arrived.incrementAndGet();
        if (number - 1 == deliveredUpTo) {
            // nothing was waiting: the wait for delivery starts now
            lastProgressMs = clockMs.getAsLong();
        }
        return number;
    }

    /** The records numbered first..last are in the stream; the writes held for them run. */
    synchronized void delivered(long first, long last) {
        if (first <= 0 || last < first) {
            return;
        }
        deliveredRanges.put(first, last);
        Map.Entry<Long, Long> next;
        long before = deliveredUpTo;
        while ((next = deliveredRanges.firstEntry()) != null && next.getKey() <= deliveredUpTo + 1) {
            deliveredUpTo = Math.max(deliveredUpTo, next.getValue());
            deliveredRanges.pollFirstEntry();
        }
        if (deliveredUpTo > before) {
            lastProgressMs = clockMs.getAsLong();
        }
        while (!held.isEmpty() && held.peekFirst().upTo() <= deliveredUpTo) {
            held.pollFirst().write().run();
        }
    }

    /** Runs the offset write once every record that has arrived so far is delivered (now, or later). */
    synchronized void whenDelivered(Runnable write) {
        long upTo = arrived.get();
        if (upTo <= deliveredUpTo && held.isEmpty()) {
            write.run();
        } else {
            held.addLast(new HeldWrite(upTo, write));
        }
    }

    /** Records that have arrived and are not yet delivered. */
    long undelivered() {
        return Math.max(0, arrived.get() - deliveredUpTo);
    }

    /** How long nothing was delivered while records waited (or since the first of them arrived). */
    long quietMs() {
        return clockMs.getAsLong() - lastProgressMs;
    }

    synchronized long deliveredUpTo() {
        return deliveredUpTo;
    }

    /**
     * As the offset store stops: the held writes are dropped and what was not delivered is forgotten (its offsets
     * were not saved, so the next start reads those records again under new numbers).
     *
     * @return the records that were not delivered
     */
    synchronized long forgetUndelivered() {
        long undelivered = undelivered();
        held.clear();
        deliveredRanges.clear();
        deliveredUpTo = arrived.get();
        lastProgressMs = clockMs.getAsLong();
        return undelivered;
    }

    private record HeldWrite(long upTo, Runnable write) {
    }
}
