package dev.cacheinvalidation.offsets;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import dev.cacheinvalidation.config.ConfigurationException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.SkippedRecord;
import dev.cacheinvalidation.event.SourceChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way past a poison pill: a transaction that ends the process every time it is read (its rows exhaust the
 * memory, or make the key script take the JVM down), so that the saved position never passes it and no change after
 * it is ever invalidated.
 * <p>
 * A record kept in the offset store, beside the position, counts the runs that read changes from the saved position
 * and ended without saving a newer one or stopping cleanly: crashes. A run that starts where the previous one
 * crashed also writes down, before passing each transaction on, how many it has read; so the record always names a
 * range that holds the transaction being processed when the process died. Once {@code escapeAfterCrashes} runs
 * crashed at the same position, the next run invalidates that range by table instead of by row: each transaction of
 * it becomes one table change (op {@code t}, as for TRUNCATE) per table it touched, whose keys the script gives
 * without looking at a row; its rows are passed over. Invalidating more is the price, never invalidating less: the
 * healthy transactions of the range lose their whole tables' keys too. It is said in an error, a metric and
 * readiness.
 * <p>
 * The transactions are counted in arrival order from the saved position, which is the same binlog in every run.
 */
final class CrashCounter {

    private static final Logger LOG = LoggerFactory.getLogger(CrashCounter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the offset store keeps: the position a run started from, the runs that crashed there, how far they read. */
    record Saved(String position, int crashes, long transactions, String last) {
    }

    private String connectorName;
    private int escapeAfterCrashes;
    private Consumer<Saved> store = saved -> { };
    private String position = "";
    private int crashesBefore;
    private boolean tracking;
    private boolean written;
    private long toEscape;
    private String escapeEndsAt;
    private long transactions;
    private String currentTx;
    private boolean currentEscaped;
    private final Set<String> tablesOfCurrent = new LinkedHashSet<>();
    private volatile long escapedTransactions;
    private volatile long lastEscapeAtMs;
    private volatile String lastEscape;

    void setConnectorName(String connectorName) {
        this.connectorName = connectorName;
    }

    /** Crashes at the same position after which the next run escapes ({@code cdc.escapeAfterCrashes}; 0: never). */
    void setEscapeAfterCrashes(int escapeAfterCrashes) {
        if (escapeAfterCrashes < 0) {
            throw new ConfigurationException("cdc.escapeAfterCrashes must be at least 0, was " + escapeAfterCrashes);
        }
        this.escapeAfterCrashes = escapeAfterCrashes;
    }

    /** The key of the record in the offset store, in the layout of Debezium's own keys. */
    static ByteBuffer key(String connectorName) {
        try {
            return ByteBuffer.wrap(JSON.writeValueAsBytes(List.of(connectorName, Map.of("crash-counter",
                    connectorName))));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ByteBuffer encode(Saved saved) {
        try {
            return ByteBuffer.wrap(JSON.writeValueAsBytes(saved));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static Saved decode(ByteBuffer bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return JSON.readValue(StandardCharsets.UTF_8.decode(bytes.duplicate()).toString(), Saved.class);
        } catch (JsonProcessingException e) {
            LOG.warn("The crash counter in the offset store cannot be read ({}); counting from 0", e.getMessage());
            return null;
        }
    }

    /**
     * A run starts reading from {@code savedPosition} (empty: none saved), with the record the previous run left;
     * {@code store} writes the record (and returns once it is written).
     */
    synchronized void runStarting(String savedPosition, Saved previous, Consumer<Saved> store) {
        this.store = store;
        this.position = placeOf(savedPosition);
        boolean samePlace = previous != null && previous.position().equals(position);
        crashesBefore = samePlace ? previous.crashes() : 0;
        tracking = crashesBefore > 0;
        written = false;
        transactions = 0;
        currentTx = null;
        currentEscaped = false;
        toEscape = 0;
        if (escapeAfterCrashes > 0 && crashesBefore >= escapeAfterCrashes && previous.transactions() > 0) {
            toEscape = previous.transactions();
            escapeEndsAt = previous.last();
            LOG.error("Connector '{}': {} runs ended (a crash, an OutOfMemoryError) while processing changes read from"
                    + " the saved binlog position, which none of them got past (cdc.escapeAfterCrashes={}). The {}"
                    + " transaction(s) read from there up to the last crash (the last: {}) are invalidated by table"
                    + " instead of by row: every key of the tables they touched, as for TRUNCATE. Then the pipeline"
                    + " goes on as usual", connectorName, crashesBefore, escapeAfterCrashes, toEscape, escapeEndsAt);
            lastEscape = toEscape + " transaction(s) read from the saved binlog position, where " + crashesBefore
                    + " runs crashed, were invalidated by table instead of by row (the last: " + escapeEndsAt + ")";
            lastEscapeAtMs = System.currentTimeMillis();
        } else if (crashesBefore > 0) {
            LOG.warn("Connector '{}': the last {} run(s) ended while processing changes read from the saved binlog"
                    + " position, without getting past it; this run notes each transaction it reads, so that a crash on"
                    + " the same one can be got past{}", connectorName, crashesBefore,
                    escapeAfterCrashes > 0 ? " after " + escapeAfterCrashes + " crash(es)" : " (cdc.escapeAfterCrashes=0: never)");
        }
    }

    /** Every record as it enters the pipeline: the record itself, or what replaces it in an escaped transaction. */
    synchronized SourceChange admit(SourceChange change) {
        if (!(change instanceof ChangeEvent event)) {
            return change;
        }
        String tx = event.tx() != null ? event.tx() : placeOf(event);
        if (!tx.equals(currentTx)) {
            currentTx = tx;
            transactions++;
            tablesOfCurrent.clear();
            currentEscaped = transactions <= toEscape;
            if (currentEscaped) {
                escapedTransactions++;
            }
            if (!written || tracking) {
                store.accept(new Saved(position, crashesBefore + 1, transactions, tx));
                written = true;
            }
        }
        if (!currentEscaped) {
            return change;
        }
        if (tablesOfCurrent.add(event.table())) {
            LOG.error("Connector '{}': transaction {} ({} of the {} escaped) invalidated by table: {}", connectorName,
                    tx, transactions, toEscape, event.table());
            return new ChangeEvent(ChangeEvent.TABLE_CHANGE, event.table(), null, null,
                    new ArrayList<>(List.of("escaped")), event.source(), event.tx());
        }
        return new SkippedRecord("row change of an escaped transaction");
    }

    /** The run's position was saved past its start: a crash from now on is not one at the old position. */
    synchronized void positionSaved(String saved) {
        if (!placeOf(saved).equals(position)) {
            tracking = false;
        }
    }

    /** The run ended cleanly (the engine stopped, the process lives on or exits normally): no crash to count. */
    synchronized void runEnded() {
        if (written) {
            store.accept(new Saved("", 0, 0, null));
            written = false;
        }
        tracking = false;
    }

    /**
     * The place in the binlog a saved offset names, without the time Debezium writes beside it (a heartbeat saves
     * the same place with a new time).
     */
    static String placeOf(String savedOffset) {
        if (savedOffset == null || savedOffset.isBlank()) {
            return "";
        }
        try {
            Map<String, Object> offset = new TreeMap<>(JSON.readValue(savedOffset, new TypeReference<Map<String, Object>>() { }));
            offset.remove("ts_sec");
            return JSON.writeValueAsString(offset);
        } catch (JsonProcessingException e) {
            return savedOffset;
        }
    }

    private static String placeOf(ChangeEvent event) {
        ChangeEvent.SourcePosition source = event.source();
        return source == null ? "?" : source.file() + ":" + source.pos();
    }

    /** Transactions invalidated by table so far in this process. */
    long escapedTransactions() {
        return escapedTransactions;
    }

    /** What the last escape did, for readiness, while {@code withinMs} have not passed since; else null. */
    String recentEscape(long nowMs, long withinMs) {
        String escape = lastEscape;
        return escape != null && nowMs - lastEscapeAtMs < withinMs ? escape : null;
    }
}
