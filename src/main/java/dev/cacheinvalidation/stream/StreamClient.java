package dev.cacheinvalidation.stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.redis.TopologyAwareRedis;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.params.XTrimParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamGroupInfo;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * The few stream commands the component needs, over a small pool of connections to a single Redis, a Redis Cluster
 * or a Sentinel-watched master (see {@link TopologyAwareRedis}).
 */
public class StreamClient implements GroupCommands, AutoCloseable {

    private final TopologyAwareRedis redis;

    /** Over this connection, which the client closes when it is closed. */
    public StreamClient(TopologyAwareRedis redis) {
        this.redis = redis;
    }

    private UnifiedJedis jedis() {
        return redis.commands();
    }

    /**
     * Appends one entry per value, all or none (MULTI/EXEC, one round trip), and returns their ids. The value goes
     * in the first field; extra fields, if any, follow in every entry. Nothing is trimmed here: MAXLEN would drop
     * entries no consumer group has read ({@link BoundKeeper} keeps the bound).
     */
    public List<String> append(String stream, String field, List<String> values, Map<String, String> extraFields) {
        if (values.isEmpty()) {
            return List.of();
        }
        XAddParams params = XAddParams.xAddParams();
        List<Response<StreamEntryID>> ids = new ArrayList<>(values.size());
        List<Object> results = redis.transaction(stream, tx -> {
            ids.clear();
            for (String value : values) {
                Map<String, String> fields;
                if (extraFields.isEmpty()) {
                    fields = Map.of(field, value);
                } else {
                    fields = new LinkedHashMap<>();
                    fields.put(field, value);
                    fields.putAll(extraFields);
                }
                ids.add(tx.xadd(stream, params, fields));
            }
        });
        if (results == null) {
            throw new IllegalStateException("Redis discarded the transaction writing to " + stream);
        }
        List<String> written = new ArrayList<>(ids.size());
        for (Response<StreamEntryID> id : ids) {
            written.add(id.get().toString());
        }
        return written;
    }

    @Override
    public boolean ensureGroup(String stream, String group) {
        try {
            jedis().xgroupCreate(stream, group, new StreamEntryID(0, 0), true);
            return true;
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
            return false;
        }
    }

    /** XREADGROUP of this consumer's own unacknowledged entries with ids above {@code afterId}. */
    @Override
    public List<StreamMessage> readOwnPending(String stream, String group, String consumer, int count, String afterId) {
        return read(stream, group, consumer, XReadGroupParams.xReadGroupParams().count(count), afterId);
    }

    /** XREADGROUP ... &gt;: entries not delivered to any consumer of the group yet. */
    @Override
    public List<StreamMessage> readNew(String stream, String group, String consumer, int count, long blockMs) {
        XReadGroupParams params = XReadGroupParams.xReadGroupParams().count(count);
        if (blockMs > 0) {
            params.block((int) blockMs);
        }
        return read(stream, group, consumer, params, ">");
    }

    /** The entries as Redis sends them, their values left as bytes (see {@link StreamEntries}). */
    private List<StreamMessage> read(String stream, String group, String consumer, XReadGroupParams params, String from) {
        CommandArguments args = redis.arguments(Protocol.Command.XREADGROUP).add(Protocol.Keyword.GROUP).add(group)
                .add(consumer).addParams(params).add(Protocol.Keyword.STREAMS).key(stream).add(from);
        return jedis().executeCommand(new CommandObject<>(args, StreamEntries.READ_ONE_STREAM));
    }

    /** XAUTOCLAIM, then XPENDING for how often each entry taken over was delivered. */
    @Override
    public Claimed claim(String stream, String group, String consumer, long minIdleMs, String start, int count) {
        UnifiedJedis jedis = jedis();
        CommandArguments args = redis.arguments(Protocol.Command.XAUTOCLAIM).key(stream).add(group).add(consumer)
                .add(minIdleMs).add(start).addParams(XAutoClaimParams.xAutoClaimParams().count(count));
        // [next start, [entry...], (Redis 7) [ids of entries no longer in the stream]]
        List<?> reply = (List<?>) jedis.executeCommand(args);
        List<StreamMessage> messages = StreamEntries.entries(reply.get(1));
        Map<String, Long> deliveries = new HashMap<>();
        if (!messages.isEmpty()) {
            List<StreamPendingEntry> pending = jedis.xpending(stream, group,
                    XPendingParams.xPendingParams(new StreamEntryID(messages.get(0).id()),
                            new StreamEntryID(messages.get(messages.size() - 1).id()), messages.size()).consumer(consumer));
            for (StreamPendingEntry entry : pending) {
                deliveries.put(entry.getID().toString(), entry.getDeliveredTimes());
            }
        }
        return new Claimed(messages, deliveries, StreamEntries.text(reply.get(0)));
    }

    @Override
    public void ack(String stream, String group, Collection<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        // the ids as they came, not parsed into StreamEntryIDs only to be written back as text
        jedis().executeCommand(redis.arguments(Protocol.Command.XACK).key(stream).add(group).addObjects(ids));
    }

    /**
     * Moves entries to the dead-letter stream and acknowledges them: each dead letter keeps the original fields and
     * adds the reason and the original id. Atomic when both streams live on one node (always but on a cluster,
     * where a hash tag such as {@code {cache}:invalidations} and {@code {cache}:invalidations:dlq} puts them in one
     * slot); otherwise the dead letters are written first and acknowledged after, so a crash in between writes a
     * dead letter twice but never loses one.
     */
    @Override
    public void deadLetter(String stream, String group, String deadLetterStream, List<StreamMessage> messages,
            Map<String, String> reasons) {
        List<Map<String, String>> letters = new ArrayList<>(messages.size());
        for (StreamMessage message : messages) {
            Map<String, String> fields = new LinkedHashMap<>(message.fields());
            fields.put("error", reasons.getOrDefault(message.id(), "unknown"));
            fields.put("original_id", message.id());
            fields.put("original_stream", stream);
            letters.add(fields);
        }
        StreamEntryID[] ids = messages.stream().map(m -> new StreamEntryID(m.id())).toArray(StreamEntryID[]::new);
        if (redis.sameNode(stream, deadLetterStream)) {
            redis.transaction(stream, tx -> {
                for (Map<String, String> fields : letters) {
                    tx.xadd(deadLetterStream, StreamEntryID.NEW_ENTRY, fields);
                }
                tx.xack(stream, group, ids);
            });
            return;
        }
        for (Map<String, String> fields : letters) {
            jedis().xadd(deadLetterStream, StreamEntryID.NEW_ENTRY, fields);
        }
        jedis().xack(stream, group, ids);
    }

    /**
     * Length of the stream and, for the group, entries not yet read (lag), read but not acknowledged, the time (of
     * the entry ids) before which every entry is acknowledged, and the time of the oldest entry not acknowledged.
     */
    @Override
    public GroupStats stats(String stream, String group) {
        UnifiedJedis jedis = jedis();
        long length = jedis.xlen(stream);
        long lag = -1;
        long pending = -1;
        long doneBeforeMs = -1;
        long oldestUnackedMs = -1;
        if (length > 0 || jedis.exists(stream)) {
            for (StreamGroupInfo info : jedis.xinfoGroups(stream)) {
                if (info.getName().equals(group)) {
                    pending = info.getPending();
                    Object reported = info.getGroupInfo().get("lag");
                    lag = reported instanceof Long l ? l : -1;
                    // entries before the oldest pending one, or up to the last delivered one, are acknowledged
                    StreamEntryID oldestPending = pending > 0 ? jedis.xpending(stream, group).getMinId() : null;
                    StreamEntryID done = oldestPending != null ? oldestPending : info.getLastDeliveredId();
                    doneBeforeMs = done == null ? -1 : done.getTime();
                    if (oldestPending != null) {
                        oldestUnackedMs = oldestPending.getTime();
                    } else if (lag != 0) {
                        // nothing pending: the oldest entry not acknowledged is the first one not delivered yet
                        oldestUnackedMs = firstAfter(jedis, stream, info.getLastDeliveredId());
                    }
                }
            }
        }
        return new GroupStats(length, lag, pending, doneBeforeMs, oldestUnackedMs);
    }

    /** The time of the first entry after this id (XRANGE with an exclusive start), -1 when there is none. */
    private static long firstAfter(UnifiedJedis jedis, String stream, StreamEntryID id) {
        String after = id == null ? "-" : "(" + id;
        List<StreamEntry> next = jedis.xrange(stream, after, "+", 1);
        return next.isEmpty() ? -1 : next.get(0).getID().getTime();
    }

    /** XLEN. */
    @Override
    public long length(String stream) {
        return jedis().xlen(stream);
    }

    /** The stream's consumer groups, each with its oldest pending entry (XINFO GROUPS, XPENDING). */
    public List<TrimPoint.Group> groups(String stream) {
        UnifiedJedis jedis = jedis();
        if (!jedis.exists(stream)) {
            return List.of();
        }
        List<TrimPoint.Group> groups = new ArrayList<>();
        for (StreamGroupInfo info : jedis.xinfoGroups(stream)) {
            StreamEntryID oldestPending = info.getPending() > 0 ? jedis.xpending(stream, info.getName()).getMinId() : null;
            groups.add(new TrimPoint.Group(info.getName(), info.getLastDeliveredId(), info.getPending(),
                    oldestPending));
        }
        return groups;
    }

    /** XTRIM MINID: removes the entries before the id; returns how many. */
    public long trimBefore(String stream, StreamEntryID minId) {
        return jedis().xtrim(stream, XTrimParams.xTrimParams().minId(minId.toString()));
    }

    /**
     * The {@code maxmemory-policy} of the Redis (of every master of a cluster), read from INFO memory, which managed
     * Redis services answer where they disable CONFIG.
     */
    @Override
    public List<String> evictionPolicies() {
        List<String> policies = new ArrayList<>();
        for (String info : redis.info("memory")) {
            info.lines().filter(line -> line.startsWith("maxmemory_policy:"))
                    .forEach(line -> policies.add(line.substring("maxmemory_policy:".length()).trim()));
        }
        return policies;
    }

    /** The Redis it talks to, without its password. */
    @Override
    public String toString() {
        return redis.toString();
    }

    @Override
    public void close() {
        redis.close();
    }
}
