package dev.cacheinvalidation.stream;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The stream commands a consumer group's reader needs, and no more: {@link StreamClient} sends them to Redis; the
 * read loop's unit tests answer them from memory.
 */
public interface GroupCommands {

    /** Creates the group at the start of the stream (and the stream) unless it exists; true if it created it. */
    boolean ensureGroup(String stream, String group);

    /** This consumer's own unacknowledged entries with ids above {@code afterId}, at most {@code count}. */
    List<StreamMessage> readOwnPending(String stream, String group, String consumer, int count, String afterId);

    /** Entries no consumer of the group was given yet, waiting up to {@code blockMs} for some (0: not at all). */
    List<StreamMessage> readNew(String stream, String group, String consumer, int count, long blockMs);

    /** Takes over entries idle longer than {@code minIdleMs} from {@code start} on, with how often each was delivered. */
    Claimed claim(String stream, String group, String consumer, long minIdleMs, String start, int count);

    void ack(String stream, String group, Collection<String> ids);

    /** Moves entries to the dead-letter stream, each with its reason, and acknowledges them. */
    void deadLetter(String stream, String group, String deadLetterStream, List<StreamMessage> messages,
            Map<String, String> reasons);

    /** The stream's length and the group's progress. */
    GroupStats stats(String stream, String group);

    /** The stream's length; 0 for a stream that does not exist. */
    long length(String stream);

    /** The {@code maxmemory-policy} of the Redis, one per master. */
    List<String> evictionPolicies();

    /**
     * Stream length, group lag (-1 when Redis cannot tell), pending entries, the entry time before which all are
     * acknowledged (-1: no group), and the time of the oldest entry the group has not acknowledged, pending or not
     * delivered yet (-1: none, or no group).
     */
    record GroupStats(long length, long lag, long pending, long doneBeforeMs, long oldestUnackedMs) {
    }

    /** Entries taken over from idle consumers, how many times each was delivered, and where to continue. */
    record Claimed(List<StreamMessage> messages, Map<String, Long> deliveries, String next) {
    }
}
