package dev.cacheinvalidation.batching;

import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.stream.StreamMeters;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Bounds the row changes the pipeline holds between the binlog reader and the stream (the aggregator, the
 * hand-over queue, the script's input and output), whatever the size of a transaction or of the backlog.
 * <p>
 * The binlog route {@linkplain #admit admits} each change before the aggregator; once {@code limit} changes are
 * in flight it waits until the writer has {@linkplain #delivered delivered} a batch, and because it is the
 * thread that takes records from Debezium's queue, the binlog reader waits too (back-pressure). It waits only
 * while batches are on their way to the stream: when everything in flight is still in the aggregator (a
 * transaction being sliced, a batch not yet closed), blocking would wait for a delivery that cannot come, so the
 * change is let through; the aggregator itself holds at most a slice and a batch.
 */
public class InFlightEvents implements CamelContextAware {

    private static final long WAIT_SLICE_MS = 1000;

    private int limit = 4_000;
    private long inFlight;
    private long handedOver;
    private long waits;
    private CamelContext camelContext;
    private boolean metersRegistered;

    /** Route step before the aggregator, for every record: a row change waits while too many are in flight. */
    public void admit(Exchange exchange) {
        if (!(exchange.getMessage().getBody() instanceof ChangeEvent)) {
            return;
        }
        registerMeters();
        admitOne();
    }

    synchronized void admitOne() {
        boolean waited = false;
        // while stopping, the writer may give up on its batch (it is read again on start): waiting would hang the stop
        while (inFlight >= limit && handedOver > 0 && !stopping()) {
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
            waits++;
        }
        inFlight++;
    }

    private boolean stopping() {
        return camelContext != null && (camelContext.isStopping() || camelContext.isStopped());
    }

    /** Route step as a batch leaves the aggregator for the writer. */
    public void handedOver(Exchange exchange) {
        EventBatch batch = exchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        if (batch != null) {
            handedOver(batch.size());
        }
    }

    synchronized void handedOver(int events) {
        handedOver += events;
    }

    /**
     * First route step of the writer: however the exchange ends (in a stream, dead-lettered, or failed, when the
     * position stays before it and a restart reads it again), its changes leave memory, so a failure cannot leak
     * the count and hold the binlog reader back for ever.
     */
    public void releaseOnCompletion(Exchange exchange) {
        EventBatch batch = exchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        if (batch == null) {
            return;
        }
        int events = batch.size();
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                delivered(events);
            }
        });
    }

    synchronized void delivered(int events) {
        inFlight = Math.max(0, inFlight - events);
        handedOver = Math.max(0, handedOver - events);
        notifyAll();
    }

    /** Row changes admitted and not yet in a stream. */
    public synchronized long inFlight() {
        return inFlight;
    }

    /** How often the binlog route had to wait for the writer. */
    public synchronized long waits() {
        return waits;
    }

    private void registerMeters() {
        if (metersRegistered || camelContext == null) {
            return;
        }
        metersRegistered = true;
        Gauge.builder("cache_invalidation_events_in_flight", this, InFlightEvents::inFlight)
                .description("Row changes between the binlog reader and the stream").register(StreamMeters.registry(camelContext));
        FunctionCounter.builder("cache_invalidation_binlog_waits", this, InFlightEvents::waits)
                .description("Times the binlog reader waited because batch.maxEventsInFlight changes were in flight")
                .register(StreamMeters.registry(camelContext));
    }

    public int getLimit() {
        return limit;
    }

    public void setLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("batch.maxEventsInFlight must be at least 1, was " + limit);
        }
        this.limit = limit;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }
}
