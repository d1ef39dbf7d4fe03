package dev.cacheinvalidation.batching;

import java.util.ArrayList;
import java.util.List;

import dev.cacheinvalidation.event.ChangeEvent;

/** The events of a transaction whose END has not been seen yet. */
final class OpenTransaction {

    private final String id;
    private final boolean continuation;
    private final List<ChangeEvent> events = new ArrayList<>();
    private final SequenceRange sequences = new SequenceRange();

    OpenTransaction(String id) {
        this(id, false);
    }

    /** @param continuation true for the rest of a transaction whose first part was already cut off at the cap */
    OpenTransaction(String id, boolean continuation) {
        this.id = id;
        this.continuation = continuation;
    }

    boolean isContinuation() {
        return continuation;
    }

    String id() {
        return id;
    }

    void add(ChangeEvent event, long sequence) {
        events.add(event);
        cover(sequence);
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
