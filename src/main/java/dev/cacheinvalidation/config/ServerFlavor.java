package dev.cacheinvalidation.config;

/**
 * The two binlog servers we read from, each with the Debezium connector that handles it correctly. The MySQL
 * connector streams from MariaDB too, but loses rows after a restart there, so MariaDB gets its own connector.
 */
public enum ServerFlavor {

    MYSQL("io.debezium.connector.mysql.MySqlConnector", "com.mysql.cj.jdbc.Driver", "jdbc:mysql", "preferred",
            "io.debezium.connector.mysql.MySqlSourceInfoStructMaker", "REPLICATION CLIENT"),
    MARIADB("io.debezium.connector.mariadb.MariaDbConnector", "org.mariadb.jdbc.Driver", "jdbc:mariadb", "disable",
            "io.debezium.connector.mariadb.MariaDbSourceInfoStructMaker", "BINLOG MONITOR");

    private final String connectorClass;
    private final String jdbcDriver;
    private final String jdbcProtocol;
    private final String sslMode;
    private final String sourceInfoStructMaker;
    private final String binlogStatusPrivilege;

    ServerFlavor(String connectorClass, String jdbcDriver, String jdbcProtocol, String sslMode,
            String sourceInfoStructMaker, String binlogStatusPrivilege) {
        this.connectorClass = connectorClass;
        this.jdbcDriver = jdbcDriver;
        this.jdbcProtocol = jdbcProtocol;
        this.sslMode = sslMode;
        this.sourceInfoStructMaker = sourceInfoStructMaker;
        this.binlogStatusPrivilege = binlogStatusPrivilege;
    }

    public static ServerFlavor fromVersion(String version) {
        return version != null && version.toLowerCase().contains("mariadb") ? MARIADB : MYSQL;
    }

    public String connectorClass() {
        return connectorClass;
    }

    public String jdbcDriver() {
        return jdbcDriver;
    }

    public String jdbcProtocol() {
        return jdbcProtocol;
    }

    public String sslMode() {
        return sslMode;
    }

    public String sourceInfoStructMaker() {
        return sourceInfoStructMaker;
    }

    public String binlogStatusPrivilege() {
        return binlogStatusPrivilege;
    }
}
