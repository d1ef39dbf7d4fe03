package dev.cacheinvalidation.event;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The native event: what the JavaScript receives and what lands, as JSON, in the stream.
 *
 * @param op     c (insert), u (update), d (delete), r (snapshot read) or t (the whole table: TRUNCATE, DROP TABLE)
 * @param table  {@code db.table}
 * @param before the row before the change, keyed by column name; null for inserts and table changes
 * @param after  the row after the change; null for deletes and table changes
 * @param tags   free labels, empty at first
 * @param source where the change sits in the binlog, and when it was committed
 * @param tx     the source transaction id (the GTID where the server has one), or null
 */
public record ChangeEvent(String op, String table, Map<String, Object> before, Map<String, Object> after,
        List<String> tags, SourcePosition source, String tx) implements SourceChange {

    /** The operation of a change to the whole table (TRUNCATE, DROP TABLE): every row is gone, no row is given. */
    public static final String TABLE_CHANGE = "t";

    /**
     * Where the change sits in the binlog and when it was committed: {@code ts_ms} in milliseconds, {@code ts_us} the
     * same time in microseconds, finer where the server gives a finer time (MySQL 8 with GTIDs: the transaction's
     * commit time, in microseconds; MariaDB, MySQL without GTIDs: the event's time, whole seconds).
     */
    public record SourcePosition(String file, Long pos, Integer row, String gtid,
            @JsonProperty("server_id") Long serverId, @JsonProperty("ts_ms") Long tsMs,
            @JsonProperty("ts_us") Long tsUs) {
    }
}
