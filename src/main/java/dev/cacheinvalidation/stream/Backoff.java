package dev.cacheinvalidation.stream;

/** Bounded exponential backoff: initial, doubled after each failure up to max, reset on success. */
final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private long nextMs;

    Backoff(long initialMs, long maxMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.nextMs = initialMs;
    }

    /** Sleeps for the current delay and doubles it; false when interrupted. */
    boolean pause() {
        try {
            Thread.sleep(nextMs);
            nextMs = Math.min(maxMs, nextMs * 2);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void reset() {
        nextMs = initialMs;
    }
}
