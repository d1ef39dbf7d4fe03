package dev.cacheinvalidation.stream;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One stream and one consumer group in memory, answering {@link GroupCommands} as Redis does for what the read
 * loop relies on: pending entries per consumer with their delivery counts, XAUTOCLAIM of idle ones, trimmed
 * entries read back without fields, dead letters.
 */
final class InMemoryGroup implements GroupCommands {

    /** A pending entry: whose it is, how often it was delivered, and when last. */
    static final class Pending {
        String consumer;
        long deliveries;
        long deliveredAt;

        Pending(String consumer, long deliveredAt) {
            this.consumer = consumer;
            this.deliveries = 1;
            this.deliveredAt = deliveredAt;
        }
    }

    private final TreeMap<Long, Map<String, String>> entries = new TreeMap<>();
    private final TreeMap<Long, Pending> pending = new TreeMap<>();
    final Map<String, List<Map<String, String>>> deadLetters = new HashMap<>();
    final List<String> acknowledged = new ArrayList<>();
    /** The Redis's maxmemory-policy, one per master. */
    List<String> evictionPolicies = List.of("noeviction");
    private boolean groupExists;
    private long lastDelivered;
    private long nextId = 1;

    /** Appends an entry with one field; returns its id. */
    String add(String value) {
        long id = nextId++;
        entries.put(id, Map.of("event", value));
        return id + "-0";
    }

    /** Delivers the next {@code count} new entries to {@code consumer}, delivered {@code idleMs} ago, unacknowledged. */
    List<StreamMessage> deliver(String consumer, int count, long idleMs) {
        groupExists = true;
        List<StreamMessage> read = readNew("s", "g", consumer, count, 0);
        read.forEach(message -> pending.get(number(message.id())).deliveredAt = System.currentTimeMillis() - idleMs);
        return read;
    }

    /** Says the pending entry was delivered this many times already. */
    void deliveredTimes(String id, long times) {
        pending.get(number(id)).deliveries = times;
    }

    /** Removes the entry from the stream, as XTRIM does; a pending entry stays pending. */
    void trim(String id) {
        entries.remove(number(id));
    }

    Map<String, String> pendingOwners() {
        Map<String, String> owners = new LinkedHashMap<>();
        pending.forEach((id, entry) -> owners.put(id + "-0", entry.consumer));
        return owners;
    }

    @Override
    public boolean ensureGroup(String stream, String group) {
        boolean created = !groupExists;
        groupExists = true;
        return created;
    }

    @Override
    public List<StreamMessage> readOwnPending(String stream, String group, String consumer, int count, String afterId) {
        List<StreamMessage> read = new ArrayList<>();
        for (Map.Entry<Long, Pending> entry : pending.tailMap(number(afterId), false).entrySet()) {
            if (read.size() < count && entry.getValue().consumer.equals(consumer)) {
                read.add(message(entry.getKey()));
            }
        }
        return read;
    }

    @Override
    public List<StreamMessage> readNew(String stream, String group, String consumer, int count, long blockMs) {
        List<StreamMessage> read = new ArrayList<>();
        for (Long id : entries.tailMap(lastDelivered, false).keySet()) {
            if (read.size() == count) {
                break;
            }
            pending.put(id, new Pending(consumer, System.currentTimeMillis()));
            lastDelivered = id;
            read.add(message(id));
        }
        return read;
    }

    @Override
    public Claimed claim(String stream, String group, String consumer, long minIdleMs, String start, int count) {
        List<StreamMessage> claimed = new ArrayList<>();
        Map<String, Long> deliveries = new HashMap<>();
        long now = System.currentTimeMillis();
        for (Map.Entry<Long, Pending> entry : pending.tailMap(number(start), true).entrySet()) {
            Pending owner = entry.getValue();
            if (claimed.size() < count && now - owner.deliveredAt >= minIdleMs) {
                owner.consumer = consumer;
                owner.deliveries++;
                owner.deliveredAt = now;
                claimed.add(message(entry.getKey()));
                deliveries.put(entry.getKey() + "-0", owner.deliveries);
            }
        }
        return new Claimed(claimed, deliveries, "0-0");
    }

    @Override
    public void ack(String stream, String group, Collection<String> ids) {
        for (String id : ids) {
            if (pending.remove(number(id)) != null) {
                acknowledged.add(id);
            }
        }
    }

    @Override
    public void deadLetter(String stream, String group, String deadLetterStream, List<StreamMessage> messages,
            Map<String, String> reasons) {
        for (StreamMessage message : messages) {
            Map<String, String> letter = new LinkedHashMap<>(message.fields());
            letter.put("error", reasons.getOrDefault(message.id(), "unknown"));
            letter.put("original_id", message.id());
            deadLetters.computeIfAbsent(deadLetterStream, name -> new ArrayList<>()).add(letter);
        }
        ack(stream, group, messages.stream().map(StreamMessage::id).toList());
    }

    @Override
    public GroupStats stats(String stream, String group) {
        return new GroupStats(entries.size(), entries.tailMap(lastDelivered, false).size(), pending.size(), -1, -1);
    }

    @Override
    public long length(String stream) {
        return stream.equals("s") ? entries.size() : deadLetters.getOrDefault(stream, List.of()).size();
    }

    @Override
    public List<String> evictionPolicies() {
        return evictionPolicies;
    }

    private StreamMessage message(long id) {
        Map<String, String> fields = entries.get(id);
        return fields == null ? StreamMessage.trimmed(id + "-0") : StreamMessage.of(id + "-0", fields);
    }

    private static long number(String id) {
        return Long.parseLong(id.substring(0, id.indexOf('-')));
    }
}
