package dev.cacheinvalidation.config;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.connector.mysql.gtid.MySqlGtidSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the server the binlog reader is about to read from can continue from the saved position: after a
 * failover, the DSN may lead to a server with another history (a server that was never a replica of the old
 * primary), one that is behind (a replica promoted before it had caught up) or one that purged the binlog since.
 * Reading on from such a server would skip changes without a word, or start from its current position. So each
 * start of the binlog reader checks first, and again every few seconds while it runs (its client reconnects by
 * itself), with the GTIDs where the position has them (MariaDB's
 * {@code gtid_binlog_state} and the oldest binlog's GTID list, MySQL's {@code gtid_executed} and
 * {@code gtid_purged}), else by the binlog file.
 */
public final class SavedPositionCheck {

    private static final Logger LOG = LoggerFactory.getLogger(SavedPositionCheck.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private SavedPositionCheck() {
    }

    /**
     * Why the server named by Debezium's connector settings cannot continue from {@code savedOffset} (the
     * connector's saved offset, JSON), or empty when it can, when nothing is saved, or when the server cannot be
     * asked now (the binlog reader then meets the same trouble, and is retried).
     */
    public static Optional<String> refusal(Map<String, String> connectorSettings, String savedOffset, boolean sayWhenFine) {
        Map<String, Object> offset = parse(savedOffset);
        if (offset.isEmpty()) {
            return Optional.empty();
        }
        MysqlDsn dsn = dsnOf(connectorSettings);
        ServerFlavor flavor = dsn.declaredFlavor().orElse(ServerFlavor.MYSQL);
        String gtids = offset.get("gtids") == null ? "" : offset.get("gtids").toString().trim();
        String file = offset.get("file") == null ? "" : offset.get("file").toString();
        String why;
        try (Connection connection = DatabasePreflight.connect(dsn); Statement statement = connection.createStatement()) {
            if (!gtids.isEmpty() && flavor == ServerFlavor.MARIADB) {
                why = mariaDbRefusal(gtids, single(statement, "SELECT @@gtid_binlog_state"), oldestGtidList(statement));
            } else if (!gtids.isEmpty()) {
                why = mysqlRefusal(gtids, single(statement, "SELECT @@gtid_executed"),
                        single(statement, "SELECT @@gtid_purged"));
            } else {
                why = fileRefusal(file, binlogs(statement));
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("The saved position could not be checked against {}:{} ({})", dsn.host(), dsn.port(), e.getMessage());
            return Optional.empty();
        }
        if (why == null && sayWhenFine) {
            LOG.info("The server at {}:{} can continue from the saved position ({})", dsn.host(), dsn.port(),
                    gtids.isEmpty() ? "binlog file " + file : "GTIDs " + gtids);
        }
        return Optional.ofNullable(why).map(reason -> "the server at " + dsn.host() + ":" + dsn.port()
                + " cannot continue from the saved position: " + reason);
    }

    /**
     * MariaDB: per replication domain, the last GTID the position has must be in the server's binlog (its
     * {@code gtid_binlog_state} has that domain and server at that sequence number or later: a promoted replica
     * keeps the old primary's GTIDs with {@code log_slave_updates}), and must not lie before the oldest binlog's
     * GTID list (purged).
     */
    static String mariaDbRefusal(String savedGtids, String binlogState, String oldestGtidList) {
        Map<Long, MariaDbGtid> server = MariaDbGtid.lastPerDomainAndServer(binlogState);
        Map<Long, MariaDbGtid> purgedUpTo = MariaDbGtid.lastPerDomain(oldestGtidList);
        for (MariaDbGtid saved : MariaDbGtid.lastPerDomain(savedGtids).values()) {
            MariaDbGtid had = server.get(saved.domainAndServer());
            if (had == null) {
                return "the transactions read so far end with GTID " + saved + ", and its binlog has no transaction of"
                        + " server " + saved.server() + " in domain " + saved.domain() + " (gtid_binlog_state "
                        + blankAsNone(binlogState) + "): it has another history than the server read before";
            }
            if (had.sequence() < saved.sequence()) {
                return "the transactions read so far end with GTID " + saved + ", and its binlog ends at " + had
                        + " for that server (gtid_binlog_state " + binlogState + "): it lacks changes already read, a"
                        + " replica promoted before it had caught up";
            }
            MariaDbGtid oldest = purgedUpTo.get(saved.domain());
            if (oldest != null && oldest.sequence() > saved.sequence()) {
                return "the transactions read so far end with GTID " + saved + ", and its oldest binlog starts after "
                        + oldest + ": the binlog between them was purged";
            }
        }
        return null;
    }

    /**
     * MySQL: every GTID the position has must be executed on the server, and every one it purged from its binlog
     * must be among them.
     */
    static String mysqlRefusal(String savedGtids, String executed, String purged) {
        MySqlGtidSet saved = new MySqlGtidSet(savedGtids);
        MySqlGtidSet onServer = new MySqlGtidSet(executed == null ? "" : executed);
        if (!saved.isContainedWithin(onServer)) {
            return "the GTIDs read so far (" + savedGtids + ") are not all executed there (gtid_executed "
                    + blankAsNone(executed) + "): it has another history than the server read before, or lacks"
                    + " changes already read (a replica promoted before it had caught up)";
        }
        MySqlGtidSet gone = new MySqlGtidSet(purged == null ? "" : purged);
        if (!gone.isContainedWithin(saved)) {
            return "its binlog was purged of transactions not yet read (gtid_purged " + purged + ", read so far "
                    + savedGtids + ")";
        }
        return null;
    }

    /** Without GTIDs: the saved binlog file must be among the server's. */
    static String fileRefusal(String savedFile, List<String> binlogs) {
        if (savedFile.isEmpty() || binlogs.contains(savedFile)) {
            return null;
        }
        return "its binlog files are " + (binlogs.isEmpty() ? "none" : binlogs.get(0) + " to " + binlogs.get(binlogs.size() - 1))
                + ", and the saved position is in " + savedFile + ": purged, or another server's";
    }

    private static String blankAsNone(String value) {
        return value == null || value.isBlank() ? "empty" : value;
    }

    /** The GTID list at the start of the oldest binlog file: the last GTIDs before it, purged with older files. */
    private static String oldestGtidList(Statement statement) throws SQLException {
        List<String> files = binlogs(statement);
        if (files.isEmpty()) {
            return "";
        }
        try (ResultSet rs = statement.executeQuery("SHOW BINLOG EVENTS IN '" + files.get(0).replace("'", "''")
                + "' LIMIT 4")) {
            while (rs.next()) {
                if ("Gtid_list".equalsIgnoreCase(rs.getString("Event_type"))) {
                    return rs.getString("Info").replace("[", "").replace("]", "");
                }
            }
        }
        return "";
    }

    private static List<String> binlogs(Statement statement) throws SQLException {
        List<String> files = new ArrayList<>();
        try (ResultSet rs = statement.executeQuery("SHOW BINARY LOGS")) {
            while (rs.next()) {
                files.add(rs.getString(1));
            }
        }
        return files;
    }

    private static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() && rs.getString(1) != null ? rs.getString(1).replace("\n", "") : "";
        }
    }

    private static Map<String, Object> parse(String savedOffset) {
        if (savedOffset == null || savedOffset.isBlank()) {
            return Map.of();
        }
        try {
            return JSON.readValue(savedOffset, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    /** The database as the connector settings name it (Debezium's own keys, filled in from MYSQL_DSN). */
    static MysqlDsn dsnOf(Map<String, String> settings) {
        ServerFlavor flavor = ServerFlavor.MARIADB.connectorClass().equals(settings.get("connector.class"))
                ? ServerFlavor.MARIADB : ServerFlavor.MYSQL;
        String sslMode = settings.get("database.ssl.mode");
        Optional<TlsMode> tls = Arrays.stream(TlsMode.values()).filter(mode -> mode.connectorName(flavor).equals(sslMode))
                .findFirst();
        return new MysqlDsn(Optional.of(flavor), settings.getOrDefault("database.user", ""),
                settings.getOrDefault("database.password", ""), settings.getOrDefault("database.hostname", "localhost"),
                Integer.parseInt(settings.getOrDefault("database.port", "3306")), "", tls);
    }

    /** One MariaDB GTID, domain-server-sequence. */
    record MariaDbGtid(long domain, long server, long sequence) {

        long domainAndServer() {
            return domain * 4_294_967_296L + server;
        }

        @Override
        public String toString() {
            return domain + "-" + server + "-" + sequence;
        }

        static List<MariaDbGtid> parseAll(String gtids) {
            List<MariaDbGtid> all = new ArrayList<>();
            for (String one : gtids == null ? new String[0] : gtids.split(",")) {
                String[] parts = one.trim().split("-");
                if (parts.length == 3) {
                    all.add(new MariaDbGtid(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2])));
                }
            }
            return all;
        }

        /** The GTID with the highest sequence number of each domain (what replication from the list starts after). */
        static Map<Long, MariaDbGtid> lastPerDomain(String gtids) {
            Map<Long, MariaDbGtid> last = new LinkedHashMap<>();
            for (MariaDbGtid gtid : parseAll(gtids)) {
                last.merge(gtid.domain(), gtid, (a, b) -> a.sequence() >= b.sequence() ? a : b);
            }
            return last;
        }

        static Map<Long, MariaDbGtid> lastPerDomainAndServer(String gtids) {
            Map<Long, MariaDbGtid> last = new LinkedHashMap<>();
            for (MariaDbGtid gtid : parseAll(gtids)) {
                last.merge(gtid.domainAndServer(), gtid, (a, b) -> a.sequence() >= b.sequence() ? a : b);
            }
            return last;
        }
    }
}
