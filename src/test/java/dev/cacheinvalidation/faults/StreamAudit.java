package dev.cacheinvalidation.faults;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Reads a scenario's stream from the start as it grows (it keeps reading while Redis is away) and remembers what
 * arrived: the identity of every event of the workload's id range (see {@link Workload.Change#identity()}), the
 * names the marker row took, and how often each binlog row (source file, pos, row and table) was written. It reads
 * the dead-letter stream too: a change that went there instead of the stream is never invalidated.
 */
final class StreamAudit implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TestServers servers;
    private final String stream;
    private final String deadLetterStream;
    private final Set<String> deadLettered = ConcurrentHashMap.newKeySet();
    private volatile String lastDeadLetterId = "0-0";
    private final long firstId;
    private final long endId;
    private final long markerId;
    private final Map<String, Integer> identities = new ConcurrentHashMap<>();
    private final Set<String> markers = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> sourceRows = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long entries;
    private volatile long duplicates;
    private volatile long unreadable;
    private volatile String lastId = "0-0";

    StreamAudit(TestServers servers, String stream, String deadLetterStream, long firstId, long endId, long markerId) {
        this.servers = servers;
        this.stream = stream;
        this.deadLetterStream = deadLetterStream;
        this.firstId = firstId;
        this.endId = endId;
        this.markerId = markerId;
        this.thread = new Thread(this::tail, "stream-audit-" + stream);
        this.thread.setDaemon(true);
    }

    StreamAudit start() {
        thread.start();
        return this;
    }

    private void tail() {
        while (running) {
            try (Jedis jedis = servers.redis()) {
                while (running) {
                    List<StreamEntry> read = jedis.xrange(stream, "(" + lastId, "+", 2000);
                    for (StreamEntry entry : read) {
                        take(entry.getFields() == null ? null : entry.getFields().get("event"));
                        lastId = entry.getID().toString();
                    }
                    List<StreamEntry> dead = jedis.xrange(deadLetterStream, "(" + lastDeadLetterId, "+", 2000);
                    for (StreamEntry entry : dead) {
                        String identity = identity(entry.getFields() == null ? null : entry.getFields().get("event"));
                        if (identity != null) {
                            deadLettered.add(identity);
                        }
                        lastDeadLetterId = entry.getID().toString();
                    }
                    if (read.isEmpty() && dead.isEmpty()) {
                        Thread.sleep(20);
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // Redis away (scenario b): read on once it is back
                try {
                    Thread.sleep(200);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private void take(String json) {
        entries++;
        JsonNode event;
        try {
            event = json == null ? null : JSON.readTree(json);
        } catch (Exception e) {
            event = null;
        }
        if (event == null || !event.isObject()) {
            unreadable++;
            return;
        }
        String table = event.path("table").asText();
        String op = event.path("op").asText();
        JsonNode source = event.path("source");
        String sourceRow = source.path("file").asText() + "|" + source.path("pos").asText() + "|"
                + source.path("row").asText() + "|" + table;
        synchronized (sourceRows) {
            if (sourceRows.merge(sourceRow, 1, Integer::sum) > 1) {
                duplicates++;
            }
        }
        JsonNode row = "d".equals(op) ? event.path("before") : event.path("after");
        long id = row.path("id").asLong(-1);
        Workload.Table captured = Workload.Table.ofQualified(table);
        if (captured == null || id < firstId || id >= endId || op.length() != 1) {
            return;
        }
        if (id == markerId && captured == Workload.Table.USERS) {
            markers.add(row.path("name").asText());
            return;
        }
        String version = "u".equals(op) ? row.path(captured.versionColumn).asText() : null;
        identities.merge(Workload.Change.identity(captured, id, op.charAt(0), version), 1, Integer::sum);
    }

    /** The identity of a workload change in an event, or null. */
    private String identity(String json) {
        try {
            JsonNode event = json == null ? null : JSON.readTree(json);
            if (event == null || !event.isObject()) {
                return null;
            }
            String op = event.path("op").asText();
            JsonNode row = "d".equals(op) ? event.path("before") : event.path("after");
            Workload.Table table = Workload.Table.ofQualified(event.path("table").asText());
            long id = row.path("id").asLong(-1);
            if (table == null || id < firstId || id >= endId || id == markerId || op.length() != 1) {
                return null;
            }
            return Workload.Change.identity(table, id, op.charAt(0),
                    "u".equals(op) ? row.path(table.versionColumn).asText() : null);
        } catch (Exception e) {
            return null;
        }
    }

    boolean deadLettered(String identity) {
        return deadLettered.contains(identity);
    }

    boolean seen(String identity) {
        return identities.containsKey(identity);
    }

    boolean markerSeen(String name) {
        return markers.contains(name);
    }

    /** Identities seen that are not in {@code expected} (changes the workload does not count as committed). */
    Set<String> unexpected(Set<String> expected) {
        Set<String> extra = ConcurrentHashMap.newKeySet();
        for (String identity : identities.keySet()) {
            if (!expected.contains(identity)) {
                extra.add(identity);
            }
        }
        return extra;
    }

    /** Entries read so far. */
    long entries() {
        return entries;
    }

    /** Entries whose (source.file, source.pos, source.row, table) an earlier entry already had. */
    long duplicates() {
        return duplicates;
    }

    /** Entries without a readable event. */
    long unreadable() {
        return unreadable;
    }

    String lastId() {
        return lastId;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
    }
}
