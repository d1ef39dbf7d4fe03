package dev.cacheinvalidation.event;

import java.util.HashMap;
import java.util.Map;

/**
 * The source block of a binlog row change (MySQL or MariaDB), as the Debezium consumer puts it in its header: the
 * commit time in milliseconds and in microseconds, here of a server whose binlog has whole seconds.
 */
public record DebeziumSourceBlock(String connectorName, String db, String table, String gtid, String file, long pos,
        int row, long serverId, long tsMs) {

    /** A mutable map, so that a test can vary one field. */
    public Map<String, Object> toHeader() {
        Map<String, Object> source = new HashMap<>();
        source.put("version", "3.4.0.Final");
        source.put("connector", "mysql");
        source.put("name", connectorName);
        source.put("snapshot", "false");
        source.put("db", db);
        source.put("table", table);
        source.put("server_id", serverId);
        source.put("gtid", gtid);
        source.put("file", file);
        source.put("pos", pos);
        source.put("row", row);
        source.put("ts_ms", tsMs);
        source.put("ts_us", tsMs * 1000);
        return source;
    }
}
