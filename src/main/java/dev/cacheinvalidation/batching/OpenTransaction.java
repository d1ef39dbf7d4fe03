package dev.cacheinvalidation.batching;

import java.util.ArrayList;
import java.util.List;

import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.EventSize;

/** The events of a transaction whose END has not been seen yet. */
final class OpenTransaction {

    private final String id;
    private final boolean continuation;
    private final List<ChangeEvent> events = new ArrayList<>();
    private final SequenceRange sequences = new SequenceRange();
    private long bytes;

    OpenTransaction(String id) {
        this(id, false);
    }

    private OpenTransaction(String id, boolean continuation) {
        this.id = id;
        this.continuation = continuation;
    }

    /**
     * The rest of this transaction once its events so far went out as a slice. It keeps the records this one
     * covered: they count as delivered only with the last slice, so the saved position stays before the
     * transaction until all of it is in the stream.
     */
    OpenTransaction continuation() {
        OpenTransaction rest = new OpenTransaction(id, true);
        rest.sequences.cover(sequences);
        return rest;
    }

    boolean isContinuation() {
        return continuation;
    }

    String id() {
        return id;
    }

    void add(ChangeEvent event, long sequence) {
        events.add(event);
        bytes += EventSize.of(event);
        cover(sequence);
    }

    /** About how many bytes its events take ({@link EventSize}). */
    long bytes() {
        return bytes;
    }

    void cover(long sequence) {
        sequences.cover(sequence);
    }

    List<ChangeEvent> events() {
        return events;
    }

    int size() {
        return events.size();
    }

    SequenceRange sequences() {
        return sequences;
    }
}
