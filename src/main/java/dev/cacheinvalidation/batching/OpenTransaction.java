package dev.cacheinvalidation.batching;

import java.util.ArrayList;
import java.util.List;

import dev.cacheinvalidation.event.ChangeEvent;

/** The events of a transaction whose END has not been seen yet. */
final class OpenTransaction {

    private final String id;
    private final boolean continuation;
    private final List<ChangeEvent> events = new ArrayList<>();
    private long firstSequence = -1;
    private long lastSequence = -1;

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
        if (firstSequence < 0) {
            firstSequence = sequence;
        }
        lastSequence = sequence;
    }

    List<ChangeEvent> events() {
        return events;
    }

    int size() {
        return events.size();
    }

    long firstSequence() {
        return firstSequence;
    }

    long lastSequence() {
        return lastSequence;
    }
}
