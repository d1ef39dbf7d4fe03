package dev.cacheinvalidation.batching;

/** The arrival numbers some binlog records cover: first and last, or -1 for none yet. */
final class SequenceRange {

    private long first = -1;
    private long last = -1;

    void cover(long sequence) {
        if (sequence < 0) {
            return;
        }
        if (first < 0) {
            first = sequence;
        }
        last = Math.max(last, sequence);
    }

    void cover(SequenceRange other) {
        cover(other.first);
        cover(other.last);
    }

    long first() {
        return first;
    }

    long last() {
        return last;
    }
}
