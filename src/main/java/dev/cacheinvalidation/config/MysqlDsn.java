package dev.cacheinvalidation.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The database address in the form {@code mysql://user:password@host:port/db}. The scheme {@code mariadb://}
 * names a MariaDB server explicitly; {@code mysql://} lets the server tell what it is.
 */
public record MysqlDsn(Optional<ServerFlavor> declaredFlavor, String user, String password, String host, int port,
        String database, Optional<TlsMode> tlsMode) {

    public static final String EXAMPLE = "mysql://user:password@host:3306/app[?sslMode=verify-ca]";

    public static MysqlDsn parse(String dsn) {
        if (dsn == null || dsn.isBlank()) {
            throw new ConfigurationException("MYSQL_DSN is not set: export MYSQL_DSN=" + EXAMPLE);
        }
        URI uri;
        try {
            uri = new URI(dsn.trim());
        } catch (URISyntaxException e) {
            throw malformed("it is not a URI (encode special characters of the password as %XX)");
        }
        Optional<ServerFlavor> flavor = switch (String.valueOf(uri.getScheme()).toLowerCase()) {
            case "mysql" -> Optional.empty();
            case "mariadb" -> Optional.of(ServerFlavor.MARIADB);
            default -> throw malformed("the scheme must be mysql:// or mariadb://");
        };
        if (uri.getHost() == null) {
            throw malformed("no host");
        }
        String userInfo = uri.getRawUserInfo();
        if (userInfo == null || userInfo.isEmpty()) {
            throw malformed("no user: write mysql://user:password@host:port/db");
        }
        int colon = userInfo.indexOf(':');
        String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
        String password = colon < 0 ? "" : decode(userInfo.substring(colon + 1));
        String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
        return new MysqlDsn(flavor, user, password, uri.getHost(), uri.getPort() < 0 ? 3306 : uri.getPort(), path,
                tlsMode(uri.getRawQuery()));
    }

    /** The only option of the query string: {@code sslMode}. */
    private static Optional<TlsMode> tlsMode(String query) {
        if (query == null || query.isEmpty()) {
            return Optional.empty();
        }
        Optional<TlsMode> mode = Optional.empty();
        for (String option : query.split("&")) {
            int eq = option.indexOf('=');
            String name = eq < 0 ? option : option.substring(0, eq);
            if (!name.equals("sslMode") || eq < 0) {
                throw malformed("unknown option '" + name + "': the only option is sslMode=" + TlsMode.names());
            }
            mode = Optional.of(TlsMode.fromDsn(decode(option.substring(eq + 1))));
        }
        return mode;
    }

    private static ConfigurationException malformed(String why) {
        return new ConfigurationException("MYSQL_DSN is malformed: " + why + " (expected " + EXAMPLE + ")");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** The address without the password, for logs and messages. */
    public String redacted() {
        return declaredFlavor.map(f -> "mariadb").orElse("mysql") + "://" + user + ":***@" + host + ":" + port + "/" + database
                + tlsMode.map(mode -> "?sslMode=" + mode.dsnName()).orElse("");
    }

    @Override
    public String toString() {
        return redacted();
    }
}
