package dev.cacheinvalidation.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;

/**
 * A Redis URI, as {@code REDIS_URI} and {@code CACHE_URI} take it:
 * <ul>
 * <li>{@code redis://[user:password@]host:port[,host:port...][/db]} ({@code rediss://} for TLS): one server, or
 * seed nodes of a Redis Cluster (whether it is a cluster is asked of the server);</li>
 * <li>{@code redis-sentinel://[user:password@]host:port[,host:port...][/db]#master}: the sentinels and the name of
 * the master they watch; user and password are the master's.</li>
 * </ul>
 */
public record RedisAddress(List<HostAndPort> nodes, String user, String password, int database, boolean tls,
        String sentinelMaster) {

    public static final String EXAMPLE = "redis://[user:password@]host:6379[/db]";
    public static final String SENTINEL_EXAMPLE = "redis-sentinel://host:26379[,host:26379...][/db]#master";

    public RedisAddress {
        nodes = List.copyOf(nodes);
    }

    /** Parses {@code REDIS_URI}. */
    public static RedisAddress parse(String uri) {
        return parse(uri, "REDIS_URI");
    }

    /** Parses a URI; {@code setting} names it in error messages (never its value, which may hold a password). */
    public static RedisAddress parse(String uri, String setting) {
        if (uri == null || uri.isBlank()) {
            throw new ConfigurationException(setting + " is not set: export " + setting + "=" + EXAMPLE);
        }
        String rest = uri.trim();
        int schemeEnd = rest.indexOf("://");
        if (schemeEnd < 0 || rest.chars().anyMatch(Character::isWhitespace)) {
            throw malformed(setting, "it is not a URI (encode special characters of the password as %XX)");
        }
        String scheme = rest.substring(0, schemeEnd).toLowerCase();
        rest = rest.substring(schemeEnd + 3);
        boolean sentinel = scheme.equals("redis-sentinel");
        boolean tls = switch (scheme) {
            case "redis", "redis-sentinel" -> false;
            case "rediss" -> true;
            default -> throw malformed(setting, "the scheme must be redis://, rediss:// or redis-sentinel://");
        };
        String master = null;
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            master = decode(rest.substring(hash + 1));
            rest = rest.substring(0, hash);
        }
        if (sentinel && (master == null || master.isBlank())) {
            throw malformed(setting, "a sentinel URI names its master after '#' (" + SENTINEL_EXAMPLE + ")");
        }
        if (!sentinel && master != null) {
            throw malformed(setting, "'#master' belongs to redis-sentinel:// URIs");
        }
        int at = rest.indexOf('@');
        String info = at >= 0 ? rest.substring(0, at) : null;
        rest = at >= 0 ? rest.substring(at + 1) : rest;
        int slash = rest.indexOf('/');
        String path = slash >= 0 ? rest.substring(slash + 1) : "";
        String hosts = slash >= 0 ? rest.substring(0, slash) : rest;
        if (path.contains("?")) {
            throw malformed(setting, "query parameters are not supported");
        }

        String user = null;
        String password = null;
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
        if (!path.isEmpty()) {
            try {
                database = Integer.parseInt(path);
            } catch (NumberFormatException e) {
                throw malformed(setting, "the path must be a database number, was /" + path);
            }
        }
        List<HostAndPort> nodes = new ArrayList<>();
        for (String node : hosts.split(",")) {
            nodes.add(hostAndPort(node.trim(), sentinel ? 26379 : 6379, setting));
        }
        return new RedisAddress(nodes, user, password, database, tls, master);
    }

    private static HostAndPort hostAndPort(String node, int defaultPort, String setting) {
        String host = node;
        String port = null;
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            if (close < 0) {
                throw malformed(setting, "unclosed [ in an IPv6 address");
            }
            host = node.substring(1, close);
            if (node.length() > close + 1) {
                if (node.charAt(close + 1) != ':') {
                    throw malformed(setting, "expected :port after an IPv6 address");
                }
                port = node.substring(close + 2);
            }
        } else if (node.indexOf(':') >= 0) {
            host = node.substring(0, node.indexOf(':'));
            port = node.substring(node.indexOf(':') + 1);
        }
        if (host.isEmpty()) {
            throw malformed(setting, "no host");
        }
        if (!host.matches("[A-Za-z0-9._:%-]+")) {
            throw malformed(setting, "the host must be a name or an address (encode special characters of the"
                    + " password as %XX)");
        }
        if (port == null) {
            return new HostAndPort(host, defaultPort);
        }
        try {
            int number = Integer.parseInt(port);
            if (number < 1 || number > 65535) {
                throw new NumberFormatException();
            }
            return new HostAndPort(host, number);
        } catch (NumberFormatException e) {
            throw malformed(setting, "the port must be a number from 1 to 65535");
        }
    }

    private static ConfigurationException malformed(String setting, String why) {
        return new ConfigurationException(setting + " is malformed: " + why + " (expected " + EXAMPLE + ", seed nodes of a"
                + " cluster as host:port,host:port, or " + SENTINEL_EXAMPLE + ")");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** True for a {@code redis-sentinel://} URI. */
    public boolean isSentinel() {
        return sentinelMaster != null;
    }

    /** The first node: the server of a single-server URI. */
    public HostAndPort hostAndPort() {
        return nodes.get(0);
    }

    public String host() {
        return hostAndPort().getHost();
    }

    public int port() {
        return hostAndPort().getPort();
    }

    /** Settings of a connection to a data node (not a sentinel): credentials, database, TLS, timeouts. */
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

    /** The URI without its password. */
    public String redacted() {
        String scheme = isSentinel() ? "redis-sentinel://" : tls ? "rediss://" : "redis://";
        String credentials = password != null ? (user != null ? user : "") + ":***@" : "";
        String hosts = nodes.stream().map(HostAndPort::toString).collect(Collectors.joining(","));
        return scheme + credentials + hosts + "/" + database + (isSentinel() ? "#" + sentinelMaster : "");
    }

    @Override
    public String toString() {
        return redacted();
    }
}
