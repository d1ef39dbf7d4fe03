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
    private BinlogPlaces places = new BinlogPlaces();
    private int rereads;

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
     * transaction until all of it is in the stream; and the binlog places of its events, so that a re-read of the
     * transaction is still recognised.
     */
    OpenTransaction continuation() {
        OpenTransaction rest = new OpenTransaction(id, true);
        rest.sequences.cover(sequences);
        rest.places = places;
        return rest;
    }

    /**
     * True when an event at the same binlog place (file, position, row) is already part of this transaction: the
     * binlog reader reconnected in the middle of the transaction and reads it again from its start (Debezium
     * resumes after the last whole transaction, without a second BEGIN). Only the very same place counts, so events
     * read again from another server, at other places, are kept (an extra invalidation, never a missing one).
     */
    /**
     * The same transaction open again after it was closed early: read again after a reconnect, its BEGIN came a
     * second time and looked like its END. Its records so far went out with it; the places of its events stay.
     */
    OpenTransaction reopened() {
        OpenTransaction rest = new OpenTransaction(id, true);
        rest.places = places;
        rest.rereads = rereads;
        return rest;
    }

    /** Counts an event read again; true for the first of this transaction. */
    boolean firstReread() {
        return rereads++ == 0;
    }

    boolean alreadyHas(ChangeEvent event) {
        ChangeEvent.SourcePosition at = event.source();
        return at != null && at.file() != null && at.pos() != null && places.contains(at.file(), at.pos(), at.row());
    }

    boolean isContinuation() {
        return continuation;
    }

    String id() {
        return id;
    }

    void add(ChangeEvent event, long sequence) {
        events.add(event);
        ChangeEvent.SourcePosition at = event.source();
        if (at != null && at.file() != null && at.pos() != null) {
            places.add(at.file(), at.pos(), at.row());
        }
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
