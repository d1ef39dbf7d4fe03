package dev.cacheinvalidation.batching;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.SkippedRecord;
import dev.cacheinvalidation.event.SourceChange;
import dev.cacheinvalidation.event.TransactionBoundary;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups source changes into {@link EventBatch}es of whole transactions for the aggregator EIP.
 * <p>
 * A batch is ready ({@link #isBatchReady}, the aggregate step's completion predicate) once it holds {@code maxEvents} events
 * (or {@code maxBytes} bytes of them); the
 * aggregator's completion interval closes it earlier on time. Events of a transaction whose END has not arrived
 * are held here, outside the batch, so a completion by time never cuts a transaction. A transaction is only cut
 * when it grows beyond {@code hardCap} events or {@code maxBytes} bytes, with a warning; a transaction larger than
 * {@code maxEvents} makes one larger batch.
 * <p>
 * Transaction boundaries arrive as BEGIN and END records that both carry the transaction id: the first one seen
 * for an id opens it, the second closes it. Changes outside any transaction (snapshot reads, servers without
 * transaction metadata) count as transactions of their own.
 * <p>
 * Called by the aggregator under its lock, from one source thread; not for use by several aggregators at once.
 */
public class TransactionBatchStrategy implements AggregationStrategy, Predicate {

    private static final String READY_PROPERTY = "CacheInvalidationBatchReady";

    private static final Logger LOG = LoggerFactory.getLogger(TransactionBatchStrategy.class);

    private int maxEvents;
    private int hardCap;
    private long maxBytes;
    private OpenTransaction open;
    /** The transaction closed last, in case it is read again after a reconnect (see {@link #readAgain}). */
    private OpenTransaction closed;
    /** The serial number of the next completed batch. */
    private long completed;
    /** The transaction a DDL statement ended, in case its END still comes. */
    private String endedByStatement;

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Exchange group = oldExchange == null ? newExchange : oldExchange;
        EventBatch batch = oldExchange == null ? new EventBatch() : oldExchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        add(batch, newExchange.getMessage().getBody(SourceChange.class), sequenceOf(newExchange));
        group.setProperty(EventBatch.PROPERTY, batch);
        group.setProperty(READY_PROPERTY, batch.size() >= maxEvents || batch.bytes() >= maxBytes);
        group.getMessage().setBody(batch);
        return group;
    }

    /** The aggregator completed the group: its batch gets the next serial number, the order it is written in. */
    @Override
    public void onCompletion(Exchange group) {
        EventBatch batch = group.getProperty(EventBatch.PROPERTY, EventBatch.class);
        if (batch != null) {
            number(batch);
        }
    }

    // synchronized: the aggregator completes groups on the source thread (size) and on its timer thread (time);
    // once only: the aggregator may report one completion through more than one callback
    synchronized void number(EventBatch batch) {
        if (batch.serial() < 0) {
            batch.numbered(completed++);
        }
    }

    /** Completion predicate of the aggregate step: the batch of this group has reached {@code maxEvents}. */
    public boolean isBatchReady(Exchange group) {
        return Boolean.TRUE.equals(group.getProperty(READY_PROPERTY, Boolean.class));
    }

    /**
     * The same, as a {@link Predicate}: {@code completionPredicate: {ref: transactionBatches}} calls it directly,
     * where the bean language ({@code method:}) costs a reflective call per record.
     */
    @Override
    public boolean matches(Exchange group) {
        return isBatchReady(group);
    }

    /** The batching rules, without Camel. */
    void add(EventBatch batch, SourceChange change, long sequence) {
        if (change instanceof TransactionBoundary boundary) {
            if (open == null && boundary.transactionId().equals(endedByStatement)) {
                batch.cover(sequence);
                endedByStatement = null;
            } else if (open != null && open.id().equals(boundary.transactionId())) {
                open.cover(sequence);
                batch.append(open);
                closed = open;
                open = null;
            } else if (open == null && closed != null && closed.id().equals(boundary.transactionId())) {
                // the END of a transaction read again after a reconnect, whose BEGIN, sent again, closed it early
                batch.cover(sequence);
                closed = null;
            } else {
                closed = null;
                if (open != null) {
                    // a DDL statement on a table not captured (the shadow table of an online schema change, say)
                    // opens a transaction with nothing in it and no END: nothing is amiss then
                    if (open.size() > 0) {
                        LOG.warn("Transaction {} had no END before transaction {} began", open.id(),
                                boundary.transactionId());
                    }
                    batch.append(open);
                }
                open = new OpenTransaction(boundary.transactionId());
                open.cover(sequence);
            }
        } else if (change instanceof ChangeEvent event) {
            if (open == null && closed != null && closed.id().equals(event.tx())) {
                if (closed.alreadyHas(event)) {
                    readAgain(closed, batch);
                    batch.cover(sequence);
                    return;
                }
                // the rest of a transaction read again after a reconnect: its BEGIN, sent again, looked like its END
                open = closed.reopened();
                closed = null;
            }
            if (open == null) {
                batch.add(event, sequence);
                batch.countTransaction();
            } else if ((event.tx() == null || event.tx().equals(open.id())) && open.alreadyHas(event)) {
                readAgain(open, batch);
                open.cover(sequence);
            } else if (event.tx() == null || event.tx().equals(open.id())) {
                open.add(event.tx() == null ? withTx(event, open.id()) : event, sequence);
                if (ChangeEvent.TABLE_CHANGE.equals(event.op())) {
                    endByStatement(batch); // TRUNCATE and DROP TABLE are DDL statements
                } else if (open.size() >= hardCap || open.bytes() >= maxBytes) {
                    if (!open.isContinuation()) {
                        LOG.info("Transaction {} exceeds {} events or {} bytes: writing it in slices of {} events or"
                                + " {} bytes at most, in order; its position is saved after the last one", open.id(),
                                hardCap, maxBytes, hardCap, maxBytes);
                    }
                    batch.appendSlice(open);
                    open = open.continuation();
                }
            } else {
                LOG.warn("Transaction {} had no END before an event of transaction {}", open.id(), event.tx());
                batch.append(open);
                open = null;
                batch.add(event, sequence);
                batch.countTransaction();
            }
        } else if (change instanceof SkippedRecord skipped) {
            if (open != null) {
                open.cover(sequence);
                if (skipped.schemaChange()) {
                    endByStatement(batch);
                }
            } else {
                batch.cover(sequence);
            }
        } else {
            throw new IllegalArgumentException("Not a source change: " + change);
        }
    }

    /**
     * An event of this transaction that is here already: the binlog reader reconnected inside the transaction and
     * reads it again from its start (Debezium resumes after the last whole transaction). It is not written twice
     * (its record is covered by the caller), and it leaves the changes in flight with the batch.
     */
    private static void readAgain(OpenTransaction transaction, EventBatch batch) {
        if (transaction.firstReread()) {
            LOG.info("Transaction {} is read again from its start (the binlog reader reconnected inside it): its"
                    + " events already read are not written twice", transaction.id());
        }
        batch.countReread();
    }

    /** A DDL statement commits by itself and the binlog has no END for it: its transaction ends here. */
    private void endByStatement(EventBatch batch) {
        batch.append(open);
        endedByStatement = open.id();
        open = null;
    }

    private static ChangeEvent withTx(ChangeEvent e, String tx) {
        return new ChangeEvent(e.op(), e.table(), e.before(), e.after(), e.tags(), e.source(), tx);
    }

    private static long sequenceOf(Exchange exchange) {
        Long sequence = exchange.getProperty(SourceChange.SEQUENCE_PROPERTY, Long.class);
        return sequence == null ? -1 : sequence;
    }

    /** True while a transaction has begun and not yet ended. */
    public boolean hasOpenTransaction() {
        return open != null;
    }

    public int getMaxEvents() {
        return maxEvents;
    }

    public void setMaxEvents(int maxEvents) {
        if (maxEvents < 1) {
            throw new ConfigurationException("batch.maxEvents must be at least 1, was " + maxEvents);
        }
        this.maxEvents = maxEvents;
    }

    public long getMaxBytes() {
        return maxBytes;
    }

    /**
     * A batch is ready at this many bytes of events ({@link dev.cacheinvalidation.event.EventSize}) as at
     * {@code maxEvents}, and a transaction above it is written in slices as above {@code hardCap}: wide rows make
     * smaller batches, so what the script and the writer hold stays bounded in bytes.
     */
    public void setMaxBytes(long maxBytes) {
        if (maxBytes < 1) {
            throw new ConfigurationException("batch.maxBytes must be at least 1, was " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    public int getHardCap() {
        return hardCap;
    }

    public void setHardCap(int hardCap) {
        if (hardCap < 1) {
            throw new ConfigurationException("batch.hardCap must be at least 1, was " + hardCap);
        }
        this.hardCap = hardCap;
    }
}
