package dev.cacheinvalidation.retry;

/**
 * Bounded exponential backoff, the one retry pause of the application: initial, doubled after each failure up to max,
 * reset on success.
 */
public final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private long nextMs;

    public Backoff(long initialMs, long maxMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.nextMs = initialMs;
    }

    /** Sleeps for the current delay and doubles it; false when interrupted. */
    public boolean pause() {
        try {
            Thread.sleep(nextMs);
            nextMs = Math.min(maxMs, nextMs * 2);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public void reset() {
        nextMs = initialMs;
    }
}
