package dev.cacheinvalidation.stream;

import java.util.List;

import redis.clients.jedis.StreamEntryID;

/**
 * Where a stream may be trimmed: the bound of a stream without loss. Once the stream is longer than its bound,
 * entries are trimmed, but only those every consumer group has acknowledged. A group has acknowledged everything before its oldest pending
 * entry, or, with nothing pending, everything up to the last entry it was given. Redis 7.0 and 6.2 have no
 * acknowledgement-aware trimming of their own, so this decides the {@code XTRIM MINID} and says when the
 * unacknowledged part alone is above the bound (then it is kept, never trimmed).
 */
public final class TrimPoint {

    private TrimPoint() {
    }

    /**
     * A consumer group as XINFO GROUPS and XPENDING show it.
     *
     * @param oldestPending the smallest pending id, or null when nothing is pending
     */
    public record Group(String name, StreamEntryID lastDelivered, long pending, StreamEntryID oldestPending) {

        /** Every entry before this one is acknowledged by the group. */
        StreamEntryID firstUnacknowledged() {
            if (pending > 0 && oldestPending != null) {
                return oldestPending;
            }
            StreamEntryID last = lastDelivered == null ? new StreamEntryID(0, 0) : lastDelivered;
            return last.getSequence() == Long.MAX_VALUE ? new StreamEntryID(last.getTime() + 1, 0)
                    : new StreamEntryID(last.getTime(), last.getSequence() + 1);
        }
    }

    /**
     * What to do with the stream now.
     *
     * @param trimBefore entries with a smaller id may go (XTRIM MINID); null to trim nothing
     * @param reason     why the stream stays above its bound, or null when it does not (as far as known before
     *                   trimming: {@link #overBound} says after)
     */
    public record Decision(StreamEntryID trimBefore, String reason) {
    }

    /**
     * @param maxLen bound of the stream length; 0 or less for none
     * @param length the stream's length now
     * @param groups the stream's consumer groups
     */
    public static Decision decide(long maxLen, long length, List<Group> groups) {
        if (maxLen <= 0 || length <= maxLen) {
            return new Decision(null, null);
        }
        if (groups.isEmpty()) {
            return new Decision(null, "no consumer group reads the stream yet, so nothing in it is acknowledged");
        }
        StreamEntryID boundary = null;
        for (Group group : groups) {
            StreamEntryID first = group.firstUnacknowledged();
            if (boundary == null || first.compareTo(boundary) < 0) {
                boundary = first;
            }
        }
        if (boundary.compareTo(new StreamEntryID(0, 1)) <= 0) {
            return new Decision(null, "a consumer group has not read any of it yet");
        }
        return new Decision(boundary, null);
    }

    /** After trimming what could go: true when the entries not yet acknowledged alone exceed the bound. */
    public static boolean overBound(long maxLen, long lengthAfterTrim) {
        return maxLen > 0 && lengthAfterTrim > maxLen;
    }
}
