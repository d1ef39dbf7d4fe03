package dev.cacheinvalidation.recovery;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.EventHeaderV4;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.GtidEventData;
import com.github.shyiko.mysql.binlog.event.MariadbGtidEventData;
import com.github.shyiko.mysql.binlog.event.QueryEventData;
import com.github.shyiko.mysql.binlog.event.RotateEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.NullEventDataDeserializer;
import com.github.shyiko.mysql.binlog.network.SSLMode;
import dev.cacheinvalidation.config.DatabasePreflight;
import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.config.TlsMode;

/**
 * The server's binlog files and when each began, for a replay by time: a file holds the changes from its start to
 * the next one's. SQL does not tell when a file began, so its first event is read over the replication protocol
 * (the format description, stamped with the file's creation).
 */
final class BinlogFiles {

    /** A binlog file and the time it began. */
    record BinlogFile(String name, Instant began) {
    }

    /** A place in the binlog. */
    record Place(String file, long position) implements Comparable<Place> {

        static Place parse(String text) {
            int colon = text.lastIndexOf(':');
            return new Place(text.substring(0, colon), Long.parseLong(text.substring(colon + 1)));
        }

        /** Files of one server share a base name and count up with a zero-padded number. */
        @Override
        public int compareTo(Place other) {
            int byFile = file.compareTo(other.file);
            return byFile != 0 ? byFile : Long.compare(position, other.position);
        }

        @Override
        public String toString() {
            return file + ":" + position;
        }
    }

    private final MysqlDsn dsn;
    private final long serverId;

    BinlogFiles(MysqlDsn dsn, long serverId) {
        this.dsn = dsn;
        this.serverId = serverId;
    }

    List<String> names() throws SQLException {
        List<String> files = new ArrayList<>();
        try (Connection connection = DatabasePreflight.connect(dsn); Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SHOW BINARY LOGS")) {
            while (rs.next()) {
                files.add(rs.getString(1));
            }
        }
        return files;
    }

    /** Where the binlog ends now: the place the next change will be written. */
    Place head() throws SQLException {
        try (Connection connection = DatabasePreflight.connect(dsn); Statement statement = connection.createStatement()) {
            ResultSet rs;
            try {
                rs = statement.executeQuery("SHOW MASTER STATUS");
            } catch (SQLException mysql84) {
                rs = statement.executeQuery("SHOW BINARY LOG STATUS");
            }
            try (ResultSet status = rs) {
                if (!status.next()) {
                    throw new SQLException("the server at " + dsn.host() + ":" + dsn.port() + " writes no binlog");
                }
                return new Place(status.getString(1), status.getLong(2));
            }
        }
    }

    /**
     * MariaDB's GTID position at a place of its binlog ({@code BINLOG_GTID_POS}): MariaDB's binlog reader starts
     * from a GTID position only.
     */
    String mariaDbGtidPosition(Place place) throws SQLException {
        try (Connection connection = DatabasePreflight.connect(dsn);
                java.sql.PreparedStatement statement = connection.prepareStatement("SELECT BINLOG_GTID_POS(?, ?)")) {
            statement.setString(1, place.file());
            statement.setLong(2, place.position());
            try (ResultSet rs = statement.executeQuery()) {
                String position = rs.next() ? rs.getString(1) : null;
                if (position == null) {
                    throw new SQLException("the server has no GTID position at " + place);
                }
                return position;
            }
        }
    }

    /**
     * The file that holds the changes from {@code since} on: the last one begun at or before it. Empty when the
     * oldest file began after {@code since}: the binlog no longer reaches back that far.
     */
    BinlogFile holding(Instant since, List<BinlogFile> files) {
        BinlogFile holding = null;
        for (BinlogFile file : files) {
            if (!file.began().isAfter(since)) {
                holding = file;
            }
        }
        return holding;
    }

    /** The files with their start times, the newest first read only as far back as {@code since} needs. */
    List<BinlogFile> backTo(Instant since) throws SQLException, IOException {
        List<String> names = names();
        List<BinlogFile> files = new ArrayList<>();
        for (int i = names.size() - 1; i >= 0; i--) {
            BinlogFile file = new BinlogFile(names.get(i), began(names.get(i)));
            files.add(0, file);
            if (!file.began().isAfter(since)) {
                break;
            }
        }
        return files;
    }

    /** Where a transaction starts in the binlog, and its GTID where the server gives one. */
    record TransactionStart(Place place, String gtid) {
    }

    /**
     * The first transaction committed at or after {@code since}, read from the start of {@code file} on (only the
     * events' headers and transaction starts are decoded); null when the binlog has none yet.
     */
    TransactionStart firstTransactionAtOrAfter(String file, Instant since) throws IOException {
        BinaryLogClient client = client(file, 4);
        client.setBlocking(false);
        EventDeserializer headersOnly = new EventDeserializer();
        for (EventType type : List.of(EventType.TABLE_MAP, EventType.WRITE_ROWS, EventType.UPDATE_ROWS,
                EventType.DELETE_ROWS, EventType.EXT_WRITE_ROWS, EventType.EXT_UPDATE_ROWS, EventType.EXT_DELETE_ROWS,
                EventType.ROWS_QUERY, EventType.ANNOTATE_ROWS)) {
            headersOnly.setEventDataDeserializer(type, new NullEventDataDeserializer());
        }
        client.setEventDeserializer(headersOnly);
        // the binlog's times are whole seconds: a transaction in the second of since may have followed it
        long sinceSecond = since.toEpochMilli() - Math.floorMod(since.toEpochMilli(), 1000);
        AtomicReference<TransactionStart> found = new AtomicReference<>();
        AtomicReference<String> currentFile = new AtomicReference<>(file);
        client.registerEventListener(event -> {
            EventHeaderV4 header = event.getHeader();
            if (event.getData() instanceof RotateEventData rotate) {
                currentFile.set(rotate.getBinlogFilename());
                return;
            }
            if (found.get() != null || header.getTimestamp() < sinceSecond) {
                return;
            }
            String gtid = null;
            if (event.getData() instanceof MariadbGtidEventData mariadb) {
                gtid = mariadb.getDomainId() + "-" + mariadb.getServerId() + "-" + mariadb.getSequence();
            } else if (event.getData() instanceof GtidEventData mysql) {
                gtid = mysql.getMySqlGtid().toString();
            } else if (!(event.getData() instanceof QueryEventData query && "BEGIN".equalsIgnoreCase(query.getSql()))) {
                return;
            }
            found.set(new TransactionStart(new Place(currentFile.get(), header.getPosition()), gtid));
            try {
                client.disconnect();
            } catch (IOException ignored) {
                // the dump ends either way
            }
        });
        try {
            client.connect();
        } catch (IOException e) {
            if (found.get() == null) {
                throw e;
            }
        }
        return found.get();
    }

    private BinaryLogClient client(String file, long position) {
        BinaryLogClient client = new BinaryLogClient(dsn.host(), dsn.port(), dsn.user(), dsn.password());
        client.setServerId(serverId);
        client.setBinlogFilename(file);
        client.setBinlogPosition(position);
        client.setKeepAlive(false);
        client.setSSLMode(dsn.tlsMode().map(BinlogFiles::sslMode).orElse(SSLMode.DISABLED));
        return client;
    }

    /** When the file began: the time of its first stamped event. */
    Instant began(String file) throws IOException {
        BinaryLogClient client = client(file, 4);
        AtomicLong stamped = new AtomicLong();
        CountDownLatch first = new CountDownLatch(1);
        client.registerEventListener(event -> {
            long at = event.getHeader().getTimestamp();
            if (at > 0 && stamped.compareAndSet(0, at)) {
                first.countDown();
            }
        });
        try {
            client.connect(10_000);
            if (!first.await(10, TimeUnit.SECONDS)) {
                throw new IOException("no event read from binlog file " + file + " within 10 s");
            }
            return Instant.ofEpochMilli(stamped.get());
        } catch (TimeoutException e) {
            throw new IOException("cannot read binlog file " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading binlog file " + file, e);
        } finally {
            client.disconnect();
        }
    }

    private static SSLMode sslMode(TlsMode mode) {
        return switch (mode) {
            case DISABLE -> SSLMode.DISABLED;
            case TRUST -> SSLMode.REQUIRED;
            case VERIFY_CA -> SSLMode.VERIFY_CA;
            case VERIFY_FULL -> SSLMode.VERIFY_IDENTITY;
        };
    }
}
