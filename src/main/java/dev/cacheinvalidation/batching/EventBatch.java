package dev.cacheinvalidation.batching;

import java.util.ArrayList;
import java.util.List;

import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.EventSize;

/**
 * Whole source transactions, in binlog order, handed to the JavaScript together. It also remembers which records
 * of the binlog it stands for (a contiguous range of arrival sequence numbers, including boundaries and skipped
 * records), so their source position can be saved once the batch is in the stream.
 */
public class EventBatch {

    /** Exchange property that keeps the batch once the body has become stream entries. */
    public static final String PROPERTY = "CacheInvalidationBatch";

    private final List<ChangeEvent> events = new ArrayList<>();
    private final SequenceRange sequences = new SequenceRange();
    private int transactions;
    private boolean splitTransaction;
    private long serial = -1;
    private long bytes;
    private int rereads;

    /** A batch of events read back from where they were kept (dead letters), outside the binlog's order of records. */
    public static EventBatch of(List<ChangeEvent> events) {
        EventBatch batch = new EventBatch();
        for (ChangeEvent event : events) {
            batch.events.add(event);
            batch.bytes += EventSize.of(event);
        }
        return batch;
    }

    void add(ChangeEvent event, long sequence) {
        events.add(event);
        bytes += EventSize.of(event);
        cover(sequence);
    }

    void cover(long sequence) {
        sequences.cover(sequence);
    }

    /** A whole transaction, or the last slice of one written in slices: its records are delivered with it. */
    void append(OpenTransaction transaction) {
        events.addAll(transaction.events());
        bytes += transaction.bytes();
        sequences.cover(transaction.sequences());
        transactions++;
        if (transaction.isContinuation()) {
            splitTransaction = true;
        }
    }

    /**
     * A slice of a transaction that goes on: its events, but not its records, whose position is saved only
     * once the last slice is in the stream.
     */
    void appendSlice(OpenTransaction transaction) {
        events.addAll(transaction.events());
        bytes += transaction.bytes();
        splitTransaction = true;
    }

    void countTransaction() {
        transactions++;
    }

    /** An event read a second time (see {@link OpenTransaction#alreadyHas}): admitted, never written. */
    void countReread() {
        rereads++;
    }

    /**
     * The row changes it accounts for as it leaves: its events and those read a second time that it absorbed,
     * each of which entered the pipeline as a change in flight.
     */
    public int admitted() {
        return events.size() + rereads;
    }

    void numbered(long serial) {
        this.serial = serial;
    }

    /**
     * Where the batch stands among the completed batches, from 0 in completion order; -1 for one never completed
     * by the batching. Several script threads write in this order.
     */
    public long serial() {
        return serial;
    }

    public List<ChangeEvent> events() {
        return events;
    }

    public int size() {
        return events.size();
    }

    /** About how many bytes its events take ({@link EventSize}). */
    public long bytes() {
        return bytes;
    }

    public boolean isEmpty() {
        return events.isEmpty();
    }

    /** First arrival sequence number covered, or -1 when the batch covers none. */
    public long firstSequence() {
        return sequences.first();
    }

    public long lastSequence() {
        return sequences.last();
    }

    public int transactions() {
        return transactions;
    }

    /** True when a transaction above the hard cap was written in slices and one of them is in this batch. */
    public boolean containsSplitTransaction() {
        return splitTransaction;
    }

    @Override
    public String toString() {
        return "EventBatch[" + events.size() + " events, " + transactions + " transactions, records " + sequences.first()
                + ".." + sequences.last() + (splitTransaction ? ", split transaction" : "") + "]";
    }
}
