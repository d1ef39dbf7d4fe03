package dev.cacheinvalidation.config;

/** A checked database to capture from: its address and the connector settings that fit it. */
public record CdcSource(MysqlDsn dsn, ServerFlavor flavor) {

    public static CdcSource resolve(String rawDsn) {
        MysqlDsn dsn = MysqlDsn.parse(rawDsn);
        return new CdcSource(dsn, DatabasePreflight.check(dsn));
    }

    /** The connector's TLS mode: the DSN's, in the words of the server's connector, or the flavor's default. */
    public String sslMode() {
        return dsn.tlsMode().map(mode -> mode.connectorName(flavor)).orElse(flavor.sslMode());
    }

    public String property(String key) {
        return switch (key) {
            case "host" -> dsn.host();
            case "port" -> Integer.toString(dsn.port());
            case "user" -> dsn.user();
            case "password" -> dsn.password();
            case "database" -> dsn.database();
            case "flavor" -> flavor.name().toLowerCase();
            case "connectorClass" -> flavor.connectorClass();
            case "jdbcDriver" -> flavor.jdbcDriver();
            case "protocol" -> flavor.jdbcProtocol();
            case "sslMode" -> sslMode();
            case "sourceInfoStructMaker" -> flavor.sourceInfoStructMaker();
            default -> throw new ConfigurationException("unknown placeholder {{mysql:" + key + "}}: use one of host, port,"
                    + " user, password, database, flavor, connectorClass, jdbcDriver, protocol, sslMode, sourceInfoStructMaker");
        };
    }
}
