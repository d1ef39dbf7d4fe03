package dev.cacheinvalidation.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the connection to the database is secured, as {@code MYSQL_DSN} names it ({@code ?sslMode=verify-ca}), with
 * the words the connectors and JDBC drivers of each server use for the same thing. The certificate authority comes
 * from the JVM's truststore ({@code -Djavax.net.ssl.trustStore=...}).
 */
public enum TlsMode {

    /** No TLS. */
    DISABLE("disable", "disabled", "DISABLED"),
    /** TLS, any certificate accepted (encrypted, not authenticated). */
    TRUST("trust", "required", "REQUIRED"),
    /** TLS, the certificate signed by a trusted authority. */
    VERIFY_CA("verify-ca", "verify_ca", "VERIFY_CA"),
    /** TLS, the certificate signed by a trusted authority and naming the host. */
    VERIFY_FULL("verify-full", "verify_identity", "VERIFY_IDENTITY");

    private final String dsnName;
    private final String mysqlConnectorName;
    private final String mysqlJdbcName;

    TlsMode(String dsnName, String mysqlConnectorName, String mysqlJdbcName) {
        this.dsnName = dsnName;
        this.mysqlConnectorName = mysqlConnectorName;
        this.mysqlJdbcName = mysqlJdbcName;
    }

    public static TlsMode fromDsn(String value) {
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(mode -> mode.dsnName.equals(wanted)).findFirst()
                .orElseThrow(() -> new ConfigurationException("MYSQL_DSN has sslMode=" + value + ": use one of " + names()));
    }

    static String names() {
        return Arrays.stream(values()).map(mode -> mode.dsnName).collect(Collectors.joining(", "));
    }

    public String dsnName() {
        return dsnName;
    }

    /** The connector's {@code database.ssl.mode}: the MariaDB connector uses the DSN's words, MySQL's its own. */
    public String connectorName(ServerFlavor flavor) {
        return flavor == ServerFlavor.MARIADB ? dsnName : mysqlConnectorName;
    }

    /** The {@code sslMode} of MySQL Connector/J; the MariaDB driver takes the DSN's words. */
    public String mysqlJdbcName() {
        return mysqlJdbcName;
    }
}
