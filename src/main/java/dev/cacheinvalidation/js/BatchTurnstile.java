package dev.cacheinvalidation.js;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the exchanges of batches evaluated on several threads go on one at a time, in the order of their serial
 * numbers (the order in which the batching completed them): an exchange takes its turn after the script and hands
 * it to the next serial once it completes, however it ends. So the stream sees the writes in binlog order and the
 * offset gate sees the batches complete in that order, as with one thread.
 */
final class BatchTurnstile {

    private static final Logger LOG = LoggerFactory.getLogger(BatchTurnstile.class);
    private static final long STOP_CHECK_MS = 200;
    /** A wait this long means a batch before never came: said once per waiting batch. */
    private static final long LONG_WAIT_MS = 60_000;

    private final CamelContext camelContext;
    /** The serial whose turn it is: the batching numbers its batches from 0. */
    private long next;

    BatchTurnstile(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    /**
     * Waits until the batches before this one have completed, then holds the turn until this exchange completes.
     * A batch without serial (-1) goes on at once. While Camel stops, a batch still waiting is failed: it is not in
     * the stream, so its position is not saved and it is read again after the restart.
     */
    void awaitTurn(Exchange exchange, long serial) {
        if (serial < 0) {
            return;
        }
        long since = System.nanoTime();
        boolean told = false;
        synchronized (this) {
            while (next != serial) {
                if (!told && System.nanoTime() - since > LONG_WAIT_MS * 1_000_000) {
                    told = true;
                    LOG.warn("Batch {} has waited {} s for batch {} to be written first", serial, LONG_WAIT_MS / 1000,
                            next);
                }
                if (camelContext != null && (camelContext.isStopping() || camelContext.isStopped())) {
                    throw new IllegalStateException("stopping: batch " + serial + " was not written, it waited for "
                            + "batch " + next);
                }
                try {
                    wait(STOP_CHECK_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while batch " + serial + " waited for its turn", e);
                }
            }
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                pass(serial);
            }
        });
    }

    private synchronized void pass(long serial) {
        if (next == serial) {
            next = serial + 1;
            notifyAll();
        }
    }
}
