package dev.cacheinvalidation.offsets;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import javax.management.ObjectName;

import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.event.SourceChange;
import dev.cacheinvalidation.stream.StreamMeters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.processor.aggregate.AggregateProcessor;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the binlog position be saved only behind what the stream has acknowledged.
 * <p>
 * Debezium counts a record as processed as soon as the route returns it, but the aggregator holds records and
 * writes them later, on another thread. So every record gets an arrival number when it enters the route
 * ({@link #process}); a batch leaving the aggregator is {@linkplain #handedOver handed over}; when its exchange
 * completes, the range of numbers it covers is {@linkplain #completed delivered} (or, if the exchange failed,
 * reported and kept undelivered); and the offset store ({@link GatedOffsetBackingStore}) holds each offset write
 * until every record that had arrived when Debezium asked for the write has been delivered. A crash therefore
 * replays from a position at or before the first undelivered record: duplicates are possible, losses are not.
 * <p>
 * One gate per connector: it is published among the {@link RunningGates} under {@code connectorName} on
 * {@link #start} and withdrawn on {@link #stop}; the offset store finds it there by the connector name in its settings. While records wait and
 * nothing has been delivered for {@code stuckAfterMs}, or a batch failed, readiness is DOWN with the reason.
 */
public final class OffsetGate implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(OffsetGate.class);

    private static final long STOP_WAIT_MS = 10_000;

    private final LongSupplier clockMs;
    private final AtomicLong arrived = new AtomicLong();
    private final AtomicLong batchesInFlight = new AtomicLong();
    private final TreeMap<Long, Long> deliveredRanges = new TreeMap<>();
    private final Deque<HeldWrite> held = new ArrayDeque<>();
    private volatile long deliveredUpTo;
    private volatile long lastProgressMs;
    private volatile String failure;
    private volatile boolean running;
    private String connectorName;
    private String aggregatorId;
    private long stuckAfterMs = 60_000;
    private CamelContext camelContext;
    private OffsetGateHealthCheck healthCheck;
    private Meter undeliveredGauge;
    private final RunningGates runningGates = new RunningGates();
    private ObjectName published;

    public OffsetGate() {
        this(System::currentTimeMillis);
    }

    OffsetGate(LongSupplier clockMs) {
        this.clockMs = clockMs;
        this.lastProgressMs = clockMs.getAsLong();
    }

    /** Joins the registry of running gates under its connector name and shows its state in health and metrics. */
    public void start() {
        if (connectorName == null || connectorName.isBlank()) {
            throw new IllegalStateException("the offset gate needs its connectorName ({{cdc.name}})");
        }
        published = runningGates.publish(connectorName, this);
        running = true;
        if (camelContext != null) {
            try {
                camelContext.addStartupListener((context, alreadyStarted) -> checkAggregator());
            } catch (Exception e) {
                throw new IllegalStateException("cannot check the aggregator the offset gate flushes", e);
            }
            healthCheck = new OffsetGateHealthCheck(connectorName, this);
            HealthCheckRegistry registry = HealthCheckRegistry.get(camelContext);
            if (registry != null) {
                registry.register(healthCheck);
            }
        }
    }

    /** Leaves the registry of running gates. */
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        runningGates.withdraw(published);
        if (camelContext != null && healthCheck != null) {
            HealthCheckRegistry registry = HealthCheckRegistry.get(camelContext);
            if (registry != null) {
                registry.unregister(healthCheck);
            }
            if (undeliveredGauge != null) {
                StreamMeters.registry(camelContext).remove(undeliveredGauge);
                undeliveredGauge = null;
            }
        }
    }

    /** Route step, first thing for every record from the binlog: gives it its arrival number. */
    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(SourceChange.SEQUENCE_PROPERTY, arrive());
    }

    long arrive() {
        long number = arrived.incrementAndGet();
        if (number - 1 == deliveredUpTo) {
            // nothing was waiting: the wait for delivery starts now
            lastProgressMs = clockMs.getAsLong();
        }
        return number;
    }

    /** Route step as a batch leaves the aggregator for the stream writer. */
    public void handedOver(Exchange exchange) {
        batchesInFlight.incrementAndGet();
    }

    /**
     * Route step, first thing in the stream writer: reports the batch when its exchange completes, whichever way
     * it ends. A completed batch is delivered; a failed one is reported and stays undelivered, so the saved
     * position stays before it and a restart reads it again.
     */
    public void reportOnCompletion(Exchange exchange) {
        EventBatch batch = exchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                if (batch != null) {
                    delivered(batch.firstSequence(), batch.lastSequence());
                }
                leftTheWriter();
            }

            @Override
            public void onFailure(Exchange done) {
                if (batch != null) {
                    Exception error = done.getException();
                    failed(batch.firstSequence(), batch.lastSequence(), error == null ? "unknown error" : error.getMessage());
                }
                leftTheWriter();
            }
        });
    }

    private synchronized void leftTheWriter() {
        batchesInFlight.decrementAndGet();
        notifyAll();
    }

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

    void failed(long first, long last, String error) {
        failure = "records " + first + ".." + last + " did not reach the stream (" + error
                + "); the binlog position stays before them until a restart reads them again";
        LOG.error("A batch failed: {}", failure);
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

    /** Why the position cannot follow, or null while it does. */
    String problem() {
        String failed = failure;
        if (failed != null) {
            return failed;
        }
        long waiting = undelivered();
        long quietMs = clockMs.getAsLong() - lastProgressMs;
        if (waiting > 0 && quietMs > stuckAfterMs) {
            return waiting + " records wait for the stream and nothing was delivered for " + quietMs
                    + " ms (cdc.gateStuckAfterMs=" + stuckAfterMs + "); the binlog position is not saved meanwhile";
        }
        return null;
    }

    /** Records that have arrived and are not yet delivered. */
    long undelivered() {
        return Math.max(0, arrived.get() - deliveredUpTo);
    }

    /** As Camel starts: the aggregator to flush on stop must exist, or the flush would silently do nothing. */
    void checkAggregator() {
        if (aggregatorId != null && aggregator() == null) {
            throw new IllegalStateException("the offset gate of '" + connectorName + "' names the aggregator '"
                    + aggregatorId + "', but no aggregate step has that id: give the gate's aggregatorId the"
                    + " aggregate's id");
        }
    }

    /** Called by the offset store as Debezium configures it, once Camel's metrics registry is in place. */
    synchronized void connectorStarting() {
        if (camelContext != null && undeliveredGauge == null) {
            undeliveredGauge = Gauge.builder("cache_invalidation_gate_undelivered", this, OffsetGate::undelivered)
                    .description("Records read from the binlog and not yet in a stream; the saved position waits for them")
                    .tag("connector", String.valueOf(connectorName)).register(StreamMeters.registry(camelContext));
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
            long deadline = clockMs.getAsLong() + STOP_WAIT_MS;
            try {
                while (batchesInFlight.get() > 0 && clockMs.getAsLong() < deadline) {
                    wait(Math.max(1, deadline - clockMs.getAsLong()));
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
            failure = null;
            lastProgressMs = clockMs.getAsLong();
        }
    }

    private AggregateProcessor aggregator() {
        if (camelContext == null || aggregatorId == null) {
            return null;
        }
        return camelContext.getProcessor(aggregatorId, AggregateProcessor.class);
    }

    synchronized long deliveredUpTo() {
        return deliveredUpTo;
    }

    /** The connector ({@code cdc.name}) whose offset store this gate holds back. */
    public void setConnectorName(String connectorName) {
        this.connectorName = connectorName;
    }

    /** Id of the aggregator step to flush before the offset store stops. */
    public void setAggregatorId(String aggregatorId) {
        this.aggregatorId = aggregatorId;
    }

    /** How long records may wait with nothing delivered before readiness goes DOWN. */
    public void setStuckAfterMs(long stuckAfterMs) {
        if (stuckAfterMs < 1) {
            throw new IllegalArgumentException("cdc.gateStuckAfterMs must be at least 1, was " + stuckAfterMs);
        }
        this.stuckAfterMs = stuckAfterMs;
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
