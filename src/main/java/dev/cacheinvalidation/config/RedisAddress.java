package dev.cacheinvalidation.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/** {@code REDIS_URI}: {@code redis://[user:password@]host:port[/db]}, or {@code rediss://} for TLS. */
public record RedisAddress(String host, int port, String user, String password, int database, boolean tls) {

    public static final String EXAMPLE = "redis://[user:password@]host:6379[/db]";

    public static RedisAddress parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new ConfigurationException("REDIS_URI is not set: export REDIS_URI=" + EXAMPLE);
        }
        URI parsed;
        try {
            parsed = new URI(uri.trim());
        } catch (URISyntaxException e) {
            throw malformed("it is not a URI (encode special characters of the password as %XX)");
        }
        boolean tls = switch (String.valueOf(parsed.getScheme()).toLowerCase()) {
            case "redis" -> false;
            case "rediss" -> true;
            default -> throw malformed("the scheme must be redis:// or rediss://");
        };
        if (parsed.getHost() == null) {
            throw malformed("no host");
        }
        String user = null;
        String password = null;
        String info = parsed.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            if (colon < 0) {
                password = decode(info);
            } else {
                user = colon == 0 ? null : decode(info.substring(0, colon));
                password = decode(info.substring(colon + 1));
            }
        }
        int database = 0;
        String path = parsed.getPath() == null ? "" : parsed.getPath().replaceFirst("^/", "");
        if (!path.isEmpty()) {
            try {
                database = Integer.parseInt(path);
            } catch (NumberFormatException e) {
                throw malformed("the path must be a database number, was /" + path);
            }
        }
        return new RedisAddress(parsed.getHost(), parsed.getPort() < 0 ? 6379 : parsed.getPort(), user, password,
                database, tls);
    }

    private static ConfigurationException malformed(String why) {
        return new ConfigurationException("REDIS_URI is malformed: " + why + " (expected " + EXAMPLE + ")");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    public HostAndPort hostAndPort() {
        return new HostAndPort(host, port);
    }

    public JedisClientConfig clientConfig(int socketTimeoutMs, String clientName) {
        return DefaultJedisClientConfig.builder()
                .user(user)
                .password(password)
                .database(database)
                .ssl(tls)
                .connectionTimeoutMillis(2000)
                .socketTimeoutMillis(socketTimeoutMs)
                .clientName(clientName)
                .build();
    }

    /** The settings Debezium's Redis stores read, under their prefix (e.g. {@code offset.storage.}). */
    public java.util.Map<String, String> debeziumSettings(String prefix) {
        java.util.Map<String, String> settings = new java.util.HashMap<>();
        settings.put(prefix + "redis.address", host + ":" + port);
        settings.put(prefix + "redis.db.index", Integer.toString(database));
        settings.put(prefix + "redis.ssl.enabled", Boolean.toString(tls));
        if (user != null) {
            settings.put(prefix + "redis.user", user);
        }
        if (password != null) {
            settings.put(prefix + "redis.password", password);
        }
        return settings;
    }

    public String redacted() {
        return (tls ? "rediss://" : "redis://") + (password != null ? (user != null ? user : "") + ":***@" : "") + host + ":"
                + port + "/" + database;
    }

    @Override
    public String toString() {
        return redacted();
    }
}
