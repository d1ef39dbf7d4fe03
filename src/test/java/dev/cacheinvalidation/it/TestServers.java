package dev.cacheinvalidation.it;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.config.RedisAddress;
import redis.clients.jedis.Jedis;

/**
 * The MariaDB (binlog on) and Redis the integration tests run against: the private instances that
 * {@code scripts/servers.sh start} wrote to its env file (the build starts them before the integration tests). The
 * environment's MYSQL_DSN and REDIS_URI are never read: a test uses no server it did not start.
 */
public final class TestServers {

    private final Properties env = new Properties();

    private TestServers(Properties env) {
        this.env.putAll(env);
    }

    public static TestServers local() {
        Properties props = new Properties();
        Path file = Path.of(System.getProperty("servers.env", "target/servers/env"));
        if (Files.exists(file)) {
            try (Reader reader = Files.newBufferedReader(file)) {
                props.load(reader);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file, e);
            }
        }
        if (!props.containsKey("MYSQL_DSN") || !props.containsKey("REDIS_URI")) {
            throw new IllegalStateException("no test servers in " + file + ": run `scripts/servers.sh start` (mvn"
                    + " verify does)");
        }
        return new TestServers(props);
    }

    /** A line of the test servers' env file (such as the server binary they run), or null. */
    static String serverBinary(String key) {
        Path file = Path.of(System.getProperty("servers.env", "target/servers/env"));
        if (!Files.exists(file)) {
            return null;
        }
        Properties props = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            props.load(reader);
        } catch (IOException e) {
            return null;
        }
        return props.getProperty(key);
    }

    public static TestServers of(String mysqlDsn, String adminDsn, String redisUri) {
        Properties props = new Properties();
        props.setProperty("MYSQL_DSN", mysqlDsn);
        props.setProperty("MYSQL_ADMIN_DSN", adminDsn);
        props.setProperty("REDIS_URI", redisUri);
        return new TestServers(props);
    }

    public String mysqlDsn() {
        return env.getProperty("MYSQL_DSN");
    }

    public String redisUri() {
        return env.getProperty("REDIS_URI");
    }

    public String get(String key) {
        String value = env.getProperty(key);
        if (value == null) {
            throw new IllegalStateException(key + " is not known for these test servers");
        }
        return value;
    }

    /** A connection with full rights, for changing data and creating users. */
    public Connection admin() throws SQLException {
        MysqlDsn dsn = MysqlDsn.parse(env.getProperty("MYSQL_ADMIN_DSN", mysqlDsn()));
        Properties props = new Properties();
        props.setProperty("user", dsn.user());
        props.setProperty("password", dsn.password());
        props.setProperty("allowPublicKeyRetrieval", "true");
        // TLS where the server offers it (the TLS test's server demands it), no certificate check: a test's own server
        props.setProperty("sslMode", "PREFERRED");
        return DriverManager.getConnection("jdbc:mysql://" + dsn.host() + ":" + dsn.port() + "/app", props);
    }

    public Jedis redis() {
        RedisAddress address = RedisAddress.parse(redisUri());
        return new Jedis(address.hostAndPort(), address.clientConfig(10_000, "tests"));
    }
}
