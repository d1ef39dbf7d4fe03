package dev.cacheinvalidation.event;

import java.util.ArrayList;
import java.util.Map;
import java.util.regex.Pattern;

import dev.cacheinvalidation.config.ConfigurationException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns the exchange of the {@code debezium-mysql:} consumer into a {@link SourceChange} body. Text and binary
 * values longer than {@code maxValueLength} are cut to it, marked ({@link ColumnValues#toMap(Struct, int)}).
 */
public class DebeziumChangeMapper implements Processor {

    private int maxValueLength;
    private long sinceMs = Long.MIN_VALUE;
    private long untilMs = Long.MAX_VALUE;
    private EventFilter filter;

    @Override
    public void process(Exchange exchange) {
        Message in = exchange.getMessage();
        SourceChange change = map(in, maxValueLength);
        if (change instanceof ChangeEvent event && !inWindow(event)) {
            change = new SkippedRecord("a change outside the replayed time range");
        } else if (change instanceof ChangeEvent event && filter != null && !filter.keeps(event)) {
            change = new SkippedRecord("a change the filter leaves out");
        }
        in.setBody(change);
    }

    /** Which row changes go on to the script (the {@code filter.*} settings); none given: all. */
    public void setFilter(EventFilter filter) {
        this.filter = filter == null || filter.keepsAll() ? null : filter;
    }

    /**
     * Only row changes committed in this time range go on (a replay's {@code --since} and {@code --until}), by the
     * commit time the binlog gives (whole seconds on MariaDB: a change in the second of {@code sinceMs} counts).
     */
    public void setWindow(long sinceMs, long untilMs) {
        this.sinceMs = sinceMs == Long.MIN_VALUE ? sinceMs : sinceMs - Math.floorMod(sinceMs, 1000);
        this.untilMs = untilMs;
    }

    private boolean inWindow(ChangeEvent event) {
        Long committedMs = event.source() == null ? null : event.source().tsMs();
        return committedMs == null || committedMs >= sinceMs && committedMs <= untilMs;
    }

    /** The longest text (characters) or binary (bytes) value kept whole ({@code cdc.maxValueLength}). */
    public void setMaxValueLength(int maxValueLength) {
        if (maxValueLength < 1) {
            throw new ConfigurationException("cdc.maxValueLength must be at least 1, was " + maxValueLength);
        }
        this.maxValueLength = maxValueLength;
    }

    static SourceChange map(Message in) {
        return map(in, Integer.MAX_VALUE);
    }

    static SourceChange map(Message in, int maxValueLength) {
        String identifier = in.getHeader(DebeziumConstants.HEADER_IDENTIFIER, String.class);
        String operation = in.getHeader(DebeziumConstants.HEADER_OPERATION, String.class);
        Object body = in.getBody();
        if (identifier != null && identifier.endsWith(".transaction") && operation == null) {
            return new TransactionBoundary(transactionId(in.getHeader(DebeziumConstants.HEADER_KEY)));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> source = in.getHeader(DebeziumConstants.HEADER_SOURCE_METADATA, Map.class);
        String ddl = in.getHeader(DebeziumConstants.HEADER_DDL_SQL, String.class);
        if (ddl != null && isDropTable(ddl) && isStreamed(source)) {
            // Debezium gives each dropped table a schema change of its own, naming it in the source block
            return toEvent(ChangeEvent.TABLE_CHANGE, source, null, null, maxValueLength);
        }
        if (operation == null || ddl != null) {
            return new SkippedRecord(identifier == null ? "record without operation" : "schema change on " + identifier,
                    ddl != null);
        }
        return toEvent(operation, source, in.getHeader(DebeziumConstants.HEADER_BEFORE, Struct.class),
                body instanceof Struct after ? after : null, maxValueLength);
    }

    /** The mapping proper, from the parts of a Debezium change record. */
    public static ChangeEvent toEvent(String operation, Map<String, Object> source, Struct before, Struct after) {
        return toEvent(operation, source, before, after, Integer.MAX_VALUE);
    }

    /** The same, with values longer than {@code maxValueLength} cut. */
    public static ChangeEvent toEvent(String operation, Map<String, Object> source, Struct before, Struct after,
            int maxValueLength) {
        Map<String, Object> src = source == null ? Map.of() : source;
        String table = src.get("db") + "." + src.get("table");
        String gtid = string(src.get("gtid"));
        Long tsMs = longValue(src.get("ts_ms"));
        Long tsUs = longValue(src.get("ts_us"));
        ChangeEvent.SourcePosition position = new ChangeEvent.SourcePosition(string(src.get("file")),
                longValue(src.get("pos")), intValue(src.get("row")), gtid, longValue(src.get("server_id")), tsMs,
                tsUs != null || tsMs == null ? tsUs : tsMs * 1000);
        return new ChangeEvent(operation, table, ColumnValues.toMap(before, maxValueLength),
                ColumnValues.toMap(after, maxValueLength),
                new ArrayList<>(), position, gtid);
    }

    private static final Pattern DROP_TABLE = Pattern.compile("^\\s*(/\\*.*?\\*/\\s*)*DROP\\s+TABLE\\b",
            Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

    static boolean isDropTable(String ddl) {
        return DROP_TABLE.matcher(ddl).find();
    }

    /** True for a change read from the binlog; the schema a snapshot records (DROP TABLE IF EXISTS ...) is none. */
    private static boolean isStreamed(Map<String, Object> source) {
        return source != null && source.get("table") != null
                && (source.get("snapshot") == null || "false".equals(source.get("snapshot").toString()));
    }

    private static String transactionId(Object key) {
        if (key instanceof Struct struct) {
            return string(struct.schema().field("id") != null ? struct.get("id") : struct.toString());
        }
        return string(key);
    }

    private static String string(Object o) {
        return o == null ? null : o.toString();
    }

    private static Long longValue(Object o) {
        return o instanceof Number n ? n.longValue() : null;
    }

    private static Integer intValue(Object o) {
        return o instanceof Number n ? n.intValue() : null;
    }
}
