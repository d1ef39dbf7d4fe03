package dev.cacheinvalidation.config;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;

/**
 * Connects once before the pipeline starts, tells MySQL from MariaDB, and checks what change data capture needs
 * (binlog on, ROW format, FULL row image, replication grants), so a wrong setup fails with one clear message
 * instead of a connector stack trace later.
 */
public final class DatabasePreflight {

    private DatabasePreflight() {
    }

    public static ServerFlavor check(MysqlDsn dsn) {
        try (Connection connection = connect(dsn); Statement statement = connection.createStatement()) {
            String version = queryString(statement, "SELECT VERSION()");
            ServerFlavor flavor = ServerFlavor.fromVersion(version);
            if (dsn.declaredFlavor().isPresent() && dsn.declaredFlavor().get() != flavor) {
                throw new ConfigurationException("MYSQL_DSN says mariadb:// but " + where(dsn) + " is MySQL " + version
                        + ": use mysql://");
            }
            checkTls(statement, dsn);
            checkBinlog(statement, dsn);
            checkGrants(statement, dsn, flavor);
            return flavor;
        } catch (SQLException e) {
            throw explain(e, dsn);
        }
    }

    /** A JDBC connection to the DSN's server, as the connector will make it (TLS included). */
    public static Connection connect(MysqlDsn dsn) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", dsn.user());
        props.setProperty("password", dsn.password());
        props.setProperty("connectTimeout", "5000");
        String url;
        if (dsn.declaredFlavor().orElse(ServerFlavor.MYSQL) == ServerFlavor.MARIADB) {
            dsn.tlsMode().ifPresent(mode -> props.setProperty("sslMode", mode.dsnName()));
            url = "jdbc:mariadb://" + dsn.host() + ":" + dsn.port() + "/";
        } else {
            props.setProperty("allowPublicKeyRetrieval", "true");
            props.setProperty("sslMode", dsn.tlsMode().map(TlsMode::mysqlJdbcName).orElse("PREFERRED"));
            url = "jdbc:mysql://" + dsn.host() + ":" + dsn.port() + "/";
        }
        return DriverManager.getConnection(url, props);
    }

    /** The connector would be refused later, with a stack trace, where this connection merely used TLS on its own. */
    private static void checkTls(Statement statement, MysqlDsn dsn) {
        boolean tlsOnly;
        try {
            tlsOnly = "1".equals(queryString(statement, "SELECT @@require_secure_transport"));
        } catch (SQLException olderServer) {
            return;
        }
        if (tlsOnly && dsn.tlsMode().orElse(TlsMode.DISABLE) == TlsMode.DISABLE) {
            throw new ConfigurationException("the server at " + where(dsn) + " accepts TLS connections only: add"
                    + " ?sslMode=verify-ca (or verify-full, trust) to MYSQL_DSN");
        }
    }

    private static void checkBinlog(Statement statement, MysqlDsn dsn) throws SQLException {
        try (ResultSet rs = statement.executeQuery("SELECT @@log_bin, @@binlog_format, @@binlog_row_image")) {
            rs.next();
            String fix = " on " + where(dsn) + ": start the server with log_bin on, binlog_format=ROW and binlog_row_image=FULL";
            if (!"1".equals(rs.getString(1)) && !"ON".equalsIgnoreCase(rs.getString(1))) {
                throw new ConfigurationException("binary logging is off" + fix);
            }
            if (!"ROW".equalsIgnoreCase(rs.getString(2))) {
                throw new ConfigurationException("binlog_format is " + rs.getString(2) + fix);
            }
            if (!"FULL".equalsIgnoreCase(rs.getString(3))) {
                throw new ConfigurationException("binlog_row_image is " + rs.getString(3) + fix);
            }
        }
    }

    private static void checkGrants(Statement statement, MysqlDsn dsn, ServerFlavor flavor) throws SQLException {
        StringBuilder grants = new StringBuilder();
        try (ResultSet rs = statement.executeQuery("SHOW GRANTS FOR CURRENT_USER()")) {
            while (rs.next()) {
                grants.append(rs.getString(1).toUpperCase(Locale.ROOT)).append('\n');
            }
        }
        String text = grants.toString();
        if (text.contains("GRANT ALL PRIVILEGES ON *.*")) {
            return;
        }
        String[] needed = { "REPLICATION SLAVE", flavor.binlogStatusPrivilege(), "SELECT" };
        for (String privilege : needed) {
            if (!text.contains(privilege)) {
                throw new ConfigurationException("user '" + dsn.user() + "' on " + where(dsn) + " lacks " + privilege
                        + ": GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, " + flavor.binlogStatusPrivilege()
                        + " ON *.* TO '" + dsn.user() + "'");
            }
        }
    }

    private static ConfigurationException explain(SQLException e, MysqlDsn dsn) {
        if (certificateProblem(e)) {
            return new ConfigurationException("TLS to " + where(dsn) + " failed: the server's certificate is not trusted"
                    + (dsn.tlsMode().orElse(null) == TlsMode.VERIFY_FULL ? " or does not name " + dsn.host() : "")
                    + ": add its certificate authority to the JVM's truststore (-Djavax.net.ssl.trustStore=FILE"
                    + " -Djavax.net.ssl.trustStorePassword=...), or use ?sslMode=trust to encrypt without checking");
        }
        if (e.getErrorCode() == 3159 || e.getErrorCode() == 1045 && String.valueOf(e.getMessage()).contains("secure transport")) {
            return new ConfigurationException("the server at " + where(dsn) + " accepts TLS connections only: add"
                    + " ?sslMode=verify-ca (or verify-full, trust) to MYSQL_DSN");
        }
        if (e.getErrorCode() == 1045 || "28000".equals(e.getSQLState())) {
            return new ConfigurationException("the server at " + where(dsn) + " refused user '" + dsn.user()
                    + "': check the user and password in MYSQL_DSN");
        }
        if (e.getErrorCode() == 1049) {
            return new ConfigurationException("database '" + dsn.database() + "' does not exist on " + where(dsn)
                    + ": fix the path of MYSQL_DSN");
        }
        return new ConfigurationException("cannot use the database at " + where(dsn) + " (" + firstLine(e.getMessage())
                + "): is it running and reachable? MYSQL_DSN=" + dsn.redacted(), e);
    }

    private static boolean certificateProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof javax.net.ssl.SSLHandshakeException || t instanceof java.security.cert.CertificateException
                    || t instanceof java.security.cert.CertPathValidatorException) {
                return true;
            }
        }
        return false;
    }

    private static String queryString(Statement statement, String sql) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String where(MysqlDsn dsn) {
        return dsn.host() + ":" + dsn.port();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
