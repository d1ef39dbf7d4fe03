package dev.cacheinvalidation.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamGroupInfo;

/** Looks at the stream and its consumer group from the outside. */
public record StreamProbe(TestServers servers, String stream, String group) {

    /** Waits until the group has read everything in the stream and acknowledged it. */
    public void awaitDrained(Duration atMost) {
        Awaitility.await("group " + group + " drained").atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            try (Jedis jedis = servers.redis()) {
                if (!jedis.exists(stream)) {
                    return true;
                }
                GroupState state = state(jedis, stream, group);
                return state != null && state.drained();
            }
        });
    }

    /** The group as XINFO GROUPS shows it, or null when the stream has no such group (or there is no stream). */
    public static StreamGroupInfo group(Jedis jedis, String stream, String group) {
        if (!jedis.exists(stream)) {
            return null;
        }
        for (StreamGroupInfo info : jedis.xinfoGroups(stream)) {
            if (info.getName().equals(group)) {
                return info;
            }
        }
        return null;
    }

    /** How far a consumer group got: entries it read (0 where Redis does not say), pending, and not read yet. */
    public record GroupState(long entriesRead, long pending, long unread) {
        public boolean drained() {
            return pending == 0 && unread == 0;
        }
    }

    /** The group's state, or null when the stream has no such group (or there is no stream). */
    public static GroupState state(Jedis jedis, String stream, String group) {
        StreamGroupInfo info = group(jedis, stream, group);
        if (info == null) {
            return null;
        }
        long read = info.getGroupInfo().get("entries-read") instanceof Long r ? r : 0;
        return new GroupState(read, info.getPending(), unread(jedis, stream, info));
    }

    /**
     * Entries of the stream the group has not read yet: the lag Redis 7 reports, counted after the group's last
     * delivered entry on Redis 6.2 (which has no lag).
     */
    public static long unread(Jedis jedis, String stream, StreamGroupInfo group) {
        if (group.getGroupInfo().get("lag") instanceof Long lag) {
            return lag;
        }
        return jedis.xrange(stream, "(" + group.getLastDeliveredId(), "+").size();
    }

    public String lastId() {
        try (Jedis jedis = servers.redis()) {
            List<StreamEntry> last = jedis.xrevrange(stream, "+", "-", 1);
            return last.isEmpty() ? "0-0" : last.get(0).getID().toString();
        }
    }

    /** Entries after the given id, in stream order. */
    public List<StreamEntry> entriesAfter(String id) {
        try (Jedis jedis = servers.redis()) {
            return jedis.xrange(stream, "(" + id, "+");
        }
    }

    public void add(Map<String, String> fields) {
        try (Jedis jedis = servers.redis()) {
            jedis.xadd(stream, StreamEntryID.NEW_ENTRY, fields);
        }
    }
}
