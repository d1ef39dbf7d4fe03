package dev.cacheinvalidation.batching;

import java.util.ArrayList;
import java.util.List;

import dev.cacheinvalidation.event.ChangeEvent;

/**
 * Whole source transactions, in binlog order, handed to the JavaScript together. It also remembers which records
 * of the binlog it stands for (a contiguous range of arrival sequence numbers, including boundaries and skipped
 * records), so their source position can be saved once the batch is in the stream.
 */
public class EventBatch {

    /** Exchange property that keeps the batch once the body has become stream entries. */
    public static final String PROPERTY = "CacheInvalidationBatch";

    private final List<ChangeEvent> events = new ArrayList<>();
    private long firstSequence = -1;
    private long lastSequence = -1;
    private int transactions;
    private boolean splitTransaction;

    void add(ChangeEvent event, long sequence) {
        events.add(event);
        cover(sequence);
    }

    void cover(long sequence) {
        if (firstSequence < 0) {
            firstSequence = sequence;
        }
        lastSequence = Math.max(lastSequence, sequence);
    }

    void append(OpenTransaction transaction, boolean complete) {
        events.addAll(transaction.events());
        if (transaction.firstSequence() >= 0) {
            cover(transaction.firstSequence());
            cover(transaction.lastSequence());
        }
        if (complete) {
            transactions++;
        }
        if (!complete || transaction.isContinuation()) {
            splitTransaction = true;
        }
    }

    void countTransaction() {
        transactions++;
    }

    public List<ChangeEvent> events() {
        return events;
    }

    public int size() {
        return events.size();
    }

    public boolean isEmpty() {
        return events.isEmpty();
    }

    /** First arrival sequence number covered, or -1 when the batch covers none. */
    public long firstSequence() {
        return firstSequence;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public int transactions() {
        return transactions;
    }

    /** True when a transaction above the hard cap was cut and part of it is in this batch. */
    public boolean containsSplitTransaction() {
        return splitTransaction;
    }

    @Override
    public String toString() {
        return "EventBatch[" + events.size() + " events, " + transactions + " transactions, records " + firstSequence
                + ".." + lastSequence + (splitTransaction ? ", split transaction" : "") + "]";
    }
}
