package dev.cacheinvalidation.offsets;

import java.util.function.LongSupplier;

import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.batching.InFlightEvents;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * What the gate does as a batch leaves the aggregator for the writer: the batch counts as on its way, and a
 * completion follows its exchange to the writer. However the exchange ends, and on whichever thread, the batch is
 * reported: a completed one is delivered to the {@link DeliveryLedger}; a failed one goes to the failure report and
 * stays undelivered, so the saved position stays before it and a restart reads it again. Either way its changes
 * leave the {@link InFlightEvents}, so a failure cannot hold the binlog reader back for ever.
 */
final class BatchHandOver {

    /** Reports a batch that did not reach the stream. */
    interface FailureReport {

        void failed(long first, long last, String error);
    }

    private final DeliveryLedger ledger;
    private final InFlightEvents eventsInFlight;
    private final FailureReport failures;
    private long batchesInFlight;

    BatchHandOver(DeliveryLedger ledger, InFlightEvents eventsInFlight, FailureReport failures) {
        this.ledger = ledger;
        this.eventsInFlight = eventsInFlight;
        this.failures = failures;
    }

    void handOver(Exchange exchange) {
        EventBatch batch = exchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        if (batch == null) {
            throw new IllegalStateException("the offset gate's handOver step must follow the aggregate step,"
                    + " whose exchange carries the batch");
        }
        int events = batch.admitted();
        eventsInFlight.handedOver(events);
        synchronized (this) {
            batchesInFlight++;
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onComplete(Exchange done) {
                ledger.delivered(batch.firstSequence(), batch.lastSequence());
                leftTheWriter(events);
            }

            @Override
            public void onFailure(Exchange done) {
                Exception error = done.getException();
                failures.failed(batch.firstSequence(), batch.lastSequence(),
                        error == null ? "unknown error" : error.getMessage());
                leftTheWriter(events);
            }
        });
    }

    private void leftTheWriter(int events) {
        eventsInFlight.released(events);
        synchronized (this) {
            batchesInFlight--;
            notifyAll();
        }
    }

    /** Waits until every batch handed over has left the writer, or {@code waitMs} passed; then counts none. */
    synchronized void awaitWriter(LongSupplier clockMs, long waitMs) {
        long deadline = clockMs.getAsLong() + waitMs;
        try {
            while (batchesInFlight > 0 && clockMs.getAsLong() < deadline) {
                wait(Math.max(1, deadline - clockMs.getAsLong()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        batchesInFlight = 0;
    }
}
