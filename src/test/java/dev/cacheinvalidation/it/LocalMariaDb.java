package dev.cacheinvalidation.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One MariaDB server of a test's own (a failover's primary or replica, or an unrelated server), its files in a
 * directory of its own, on a free loopback port: binlog in ROW format with FULL row images, GTID strict mode,
 * replicated changes logged too, the server id and GTID domain given. It runs the binary of the test servers'
 * MariaDB (the installed package's or the one of the Maven Central jar), has the users of the test servers ({@code
 * cdc}, {@code admin}, and {@code repl} for replication) and no application schema until {@link #loadSchema}.
 */
public final class LocalMariaDb implements AutoCloseable {

    private static final String CDC = "cdc:cdc-secret";
    private static final String ADMIN = "admin:admin-secret";

    private final Path dir;
    private final int port;
    private final Process process;

    private LocalMariaDb(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** Initialises a data directory under {@code dir} and starts a server on it. */
    public static LocalMariaDb start(Path dir, int serverId, int gtidDomainId, String... moreOptions) throws Exception {
        Binary binary = Binary.ofTestServers();
        Path data = dir.resolve("data").toAbsolutePath();
        Files.createDirectories(dir);
        List<String> install = new ArrayList<>(List.of(binary.installDb(), "--no-defaults", "--datadir=" + data,
                "--auth-root-authentication-method=normal", "--skip-test-db"));
        binary.addTo(install);
        if ("root".equals(System.getProperty("user.name"))) {
            install.add("--user=root");
        }
        Process installing = new ProcessBuilder(install).redirectErrorStream(true)
                .redirectOutput(dir.resolve("install.log").toFile()).start();
        if (!installing.waitFor(120, TimeUnit.SECONDS) || installing.exitValue() != 0) {
            installing.destroyForcibly();
            throw new IllegalStateException("mariadb-install-db failed: " + tail(dir.resolve("install.log")));
        }
        Path init = dir.resolve("init.sql");
        Files.writeString(init, """
                SET SESSION sql_log_bin = 0;
                DELETE FROM mysql.global_priv WHERE User = '';
                FLUSH PRIVILEGES;
                CREATE USER IF NOT EXISTS 'cdc'@'%' IDENTIFIED BY 'cdc-secret';
                GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'cdc'@'%';
                GRANT ALL PRIVILEGES ON `app`.* TO 'cdc'@'%';
                CREATE USER IF NOT EXISTS 'admin'@'%' IDENTIFIED BY 'admin-secret';
                GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%' WITH GRANT OPTION;
                CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'repl-secret';
                GRANT REPLICATION SLAVE, REPLICATION SLAVE ADMIN ON *.* TO 'repl'@'%';
                FLUSH PRIVILEGES;
                """);
        int port = AppProcess.freePort();
        List<String> command = new ArrayList<>(List.of(binary.daemon(), "--no-defaults", "--datadir=" + data,
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.toAbsolutePath().resolve("s.sock"),
                "--pid-file=" + dir.toAbsolutePath().resolve("mariadbd.pid"),
                "--log-error=" + dir.toAbsolutePath().resolve("mariadbd.log"), "--skip-name-resolve",
                "--init-file=" + init.toAbsolutePath(), "--log-bin=mysql-bin", "--binlog-format=ROW",
                "--binlog-row-image=FULL", "--server-id=" + serverId, "--gtid-domain-id=" + gtidDomainId,
                "--gtid-strict-mode=ON", "--log-slave-updates=ON", "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci", "--innodb-buffer-pool-size=64M", "--max-connections=200"));
        binary.addTo(command);
        if ("root".equals(System.getProperty("user.name"))) {
            command.add("--user=root");
        }
        command.addAll(List.of(moreOptions));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        LocalMariaDb server = new LocalMariaDb(dir, port, process);
        server.awaitReady();
        return server;
    }

    private void awaitReady() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (true) {
            try (Connection ignored = connect(ADMIN)) {
                return;
            } catch (SQLException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IllegalStateException("MariaDB on port " + port + " did not start: "
                            + tail(dir.resolve("mariadbd.log")), notYet);
                }
                Thread.sleep(100);
            }
        }
    }

    public int port() {
        return port;
    }

    /** The DSN of the pipeline's user, at {@code port} (this server's, or a proxy's in front of it). */
    public static String cdcDsn(int port) {
        return "mysql://" + CDC + "@127.0.0.1:" + port + "/app";
    }

    /** This server as {@link TestServers} (with the given Redis), for the helpers that change rows. */
    public TestServers servers(String redisUri) {
        return TestServers.of(cdcDsn(port), "mysql://" + ADMIN + "@127.0.0.1:" + port + "/app", redisUri);
    }

    /** A connection with full rights and no default database. */
    public Connection admin() throws SQLException {
        return connect(ADMIN);
    }

    private Connection connect(String user) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user.substring(0, user.indexOf(':')));
        props.setProperty("password", user.substring(user.indexOf(':') + 1));
        props.setProperty("connectTimeout", "2000");
        props.setProperty("allowPublicKeyRetrieval", "true");
        props.setProperty("sslMode", "DISABLED");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/", props);
    }

    /** Runs {@code db/app-schema.sql} (tables and sample rows), its statements binlogged as any change. */
    public void loadSchema() throws Exception {
        String schema = Files.readString(Path.of("db/app-schema.sql"), StandardCharsets.UTF_8);
        try (Connection db = admin(); Statement statement = db.createStatement()) {
            for (String part : schema.split(";\\s*\n")) {
                String sql = String.join("\n", part.lines().filter(line -> !line.trim().startsWith("--")).toList())
                        .trim();
                if (!sql.isEmpty()) {
                    statement.execute(sql);
                }
            }
        }
    }

    public void execute(String... statements) throws SQLException {
        try (Connection db = admin(); Statement statement = db.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    public String queryString(String sql) throws SQLException {
        try (Connection db = admin(); Statement statement = db.createStatement();
                ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The GTID position of the last transaction written to this server's binlog. */
    public String binlogGtidPosition() throws SQLException {
        return queryString("SELECT @@gtid_binlog_pos");
    }

    /** Replicates from {@code primary} by GTID, from its first transaction on. */
    public void replicateFrom(LocalMariaDb primary) throws SQLException {
        execute("CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " + primary.port()
                + ", MASTER_USER = 'repl', MASTER_PASSWORD = 'repl-secret', MASTER_USE_GTID = slave_pos,"
                + " MASTER_CONNECT_RETRY = 1", "START SLAVE");
    }

    /** Waits until this replica has applied every transaction up to the GTID position {@code gtids}. */
    public void awaitApplied(String gtids, Duration atMost) throws SQLException {
        String result = queryString("SELECT MASTER_GTID_WAIT('" + gtids + "', " + atMost.toSeconds() + ")");
        if (!"0".equals(result)) {
            throw new AssertionError("the replica on port " + port + " has not applied " + gtids + " within " + atMost
                    + " (at " + queryString("SELECT @@gtid_slave_pos") + "): " + replicaState());
        }
    }

    private String replicaState() throws SQLException {
        try (Connection db = admin(); Statement statement = db.createStatement();
                ResultSet rs = statement.executeQuery("SHOW SLAVE STATUS")) {
            if (!rs.next()) {
                return "no replication";
            }
            return "IO " + rs.getString("Slave_IO_Running") + " " + rs.getString("Last_IO_Error") + ", SQL "
                    + rs.getString("Slave_SQL_Running") + " " + rs.getString("Last_SQL_Error");
        }
    }

    /** The replica becomes a primary: it stops replicating, forgets its primary and takes writes. */
    public void promote() throws SQLException {
        execute("STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = 0");
    }

    /** SIGKILL: the server is gone without a word, as in a crash or a lost machine. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no " + file + ")";
        }
    }

    /**
     * The server binary and its install script: those of the test servers' running MariaDB (its pid file is named
     * in their env file; its command line names the binary, and the base directory where it is the jar's), else
     * {@code -Dmariadb.server=...}, else the installed package's.
     */
    private record Binary(String daemon, String installDb, String baseDir) {

        static Binary ofTestServers() throws IOException {
            String pidFile = TestServers.serverBinary("MARIADB_PID_FILE");
            if (pidFile != null && Files.exists(Path.of(pidFile))) {
                String pid = Files.readString(Path.of(pidFile)).trim();
                Path cmdline = Path.of("/proc", pid, "cmdline");
                if (Files.exists(cmdline)) {
                    String[] args = Files.readString(cmdline).split("\0");
                    String baseDir = null;
                    for (String arg : args) {
                        if (arg.startsWith("--basedir=")) {
                            baseDir = arg.substring("--basedir=".length());
                        }
                    }
                    return of(args[0], baseDir);
                }
            }
            String configured = System.getProperty("mariadb.server");
            if (configured != null && !configured.isBlank()) {
                return of(configured, null);
            }
            return of(onPath("mariadbd", "mysqld"), null);
        }

        private static Binary of(String daemon, String baseDir) {
            String installDb = baseDir != null ? Path.of(baseDir, "scripts", "mariadb-install-db").toString()
                    : beside(daemon);
            return new Binary(daemon, installDb, baseDir);
        }

        /** Debian has the daemon in sbin and the install script in bin. */
        private static String beside(String daemon) {
            Path dir = Path.of(daemon).toAbsolutePath().getParent();
            for (Path candidate : List.of(dir.resolve("mariadb-install-db"), dir.resolveSibling("bin").resolve(
                    "mariadb-install-db"), dir.resolve("mysql_install_db"), dir.resolveSibling("bin").resolve(
                    "mysql_install_db"))) {
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
            return onPath("mariadb-install-db", "mysql_install_db");
        }

        private static String onPath(String... names) {
            for (String name : names) {
                for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/usr/local/bin")
                        .split(":")) {
                    Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
                    if (Files.isExecutable(candidate)) {
                        return candidate.toString();
                    }
                }
            }
            throw new IllegalStateException(String.join(" or ", names) + " not found: start the test servers"
                    + " (scripts/servers.sh start), install the mariadb-server package or set -Dmariadb.server");
        }

        void addTo(List<String> command) {
            if (baseDir != null) {
                command.add("--basedir=" + baseDir);
            }
        }
    }
}
