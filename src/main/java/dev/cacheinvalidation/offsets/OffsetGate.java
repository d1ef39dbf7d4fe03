package dev.cacheinvalidation.offsets;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.event.SourceChange;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.processor.aggregate.AggregateProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the binlog position be saved only behind what the stream has acknowledged.
 * <p>
 * Debezium counts a record as processed as soon as the route returns it, but the aggregator holds records and
 * writes them later, on another thread. So every record gets an arrival number when it enters the route
 * ({@link #process}); a batch written to the stream reports the range of numbers it covers ({@link #delivered});
 * and the offset store ({@link GatedOffsetBackingStore}) holds each offset write until every record that had
 * arrived when Debezium asked for the write has been delivered. A crash therefore replays from a position at or
 * before the first undelivered record: duplicates are possible, losses are not.
 * <p>
 * One gate per JVM, shared by the route and the offset store that Debezium creates by class name.
 */
public final class OffsetGate implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(OffsetGate.class);
    private static final OffsetGate GLOBAL = new OffsetGate();

    private static final long STOP_WAIT_MS = 10_000;

    private final AtomicLong arrived = new AtomicLong();
    private final AtomicLong batchesInFlight = new AtomicLong();
    private final TreeMap<Long, Long> deliveredRanges = new TreeMap<>();
    private final Deque<HeldWrite> held = new ArrayDeque<>();
    private long deliveredUpTo;
    private CamelContext camelContext;
    private String aggregatorId;

    /** The gate of this JVM. */
    public static OffsetGate global() {
        return GLOBAL;
    }

    /** For tests: a gate of its own. */
    static OffsetGate standalone() {
        return new OffsetGate();
    }

    /** Route step, first thing for every record from the binlog: gives it its arrival number. */
    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(SourceChange.SEQUENCE_PROPERTY, arrived.incrementAndGet());
    }

    /** Route step as a batch leaves the aggregator for the stream writer. */
    public void handedOver(Exchange exchange) {
        batchesInFlight.incrementAndGet();
    }

    /** Route step after the stream write: the records of the batch are delivered. */
    public void delivered(Exchange exchange) {
        EventBatch batch = exchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        if (batch != null) {
            delivered(batch.firstSequence(), batch.lastSequence());
        }
        synchronized (this) {
            batchesInFlight.decrementAndGet();
            notifyAll();
        }
    }

    public synchronized void delivered(long first, long last) {
        if (first <= 0 || last < first) {
            return;
        }
        deliveredRanges.put(first, last);
        Map.Entry<Long, Long> next;
        while ((next = deliveredRanges.firstEntry()) != null && next.getKey() <= deliveredUpTo + 1) {
            deliveredUpTo = Math.max(deliveredUpTo, next.getValue());
            deliveredRanges.pollFirstEntry();
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

    /**
     * Before the offset store stops: writes out the batch the aggregator still holds, so that a graceful stop
     * saves the position of everything read (only a transaction cut off by the stop is read again).
     */
    void flushBeforeStop() {
        AggregateProcessor aggregator = aggregator();
        if (aggregator != null) {
            try {
                aggregator.forceCompletionOfAllGroups();
            } catch (RuntimeException e) {
                LOG.warn("Could not write the last batch before stopping; it will be read again: {}", e.getMessage());
            }
        }
        synchronized (this) {
            long deadline = System.currentTimeMillis() + STOP_WAIT_MS;
            try {
                while (batchesInFlight.get() > 0 && System.currentTimeMillis() < deadline) {
                    wait(Math.max(1, deadline - System.currentTimeMillis()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (arrived.get() > deliveredUpTo) {
                LOG.info("Stopping with {} records not yet in the stream; they will be read again on start",
                        arrived.get() - deliveredUpTo);
            }
            // their offsets were not saved, so the next start reads them again under new numbers
            held.clear();
            deliveredRanges.clear();
            deliveredUpTo = arrived.get();
            batchesInFlight.set(0);
        }
    }

    private AggregateProcessor aggregator() {
        if (camelContext == null || aggregatorId == null) {
            return null;
        }
        return camelContext.getProcessor(aggregatorId, AggregateProcessor.class);
    }

    public synchronized long deliveredUpTo() {
        return deliveredUpTo;
    }

    public long arrived() {
        return arrived.get();
    }

    /** Id of the aggregator step to flush before the offset store stops. */
    public void setAggregatorId(String aggregatorId) {
        this.aggregatorId = aggregatorId;
    }

    public String getAggregatorId() {
        return aggregatorId;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    private record HeldWrite(long upTo, Runnable write) {
    }
}
