package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.config.RedisAddress;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The packaged application with distinctive passwords on both servers (a MariaDB user, a Redis ACL user), driven
 * through a change, a failing script, a poison stream entry and a Redis outage while its health and metrics are
 * scraped: not one of the passwords may show up in anything it wrote (logs, HTTP answers, stream entries, dead
 * letters). The management port listens on the address it is given and serves health and metrics only.
 */
class SecretsIT {

    private static final String MARIADB_PASSWORD = "Maria-Pw-q7Z3x";
    private static final String REDIS_PASSWORD = "Redis-Pw-k9W2v";
    private static final String DB_USER = "secrets_it";
    private static final String REDIS_USER = "secrets-it";
    private static final String STREAM = "secrets-it:invalidations";
    private static final String DEAD_LETTERS = STREAM + ":dlq";
    /** Not the loopback address the other tests use: the port must not answer there. */
    private static final String MANAGEMENT_HOST = "127.0.0.2";
    private static final Duration WAIT = Duration.ofSeconds(40);
    private static final String SCRIPT = """
            function processBatch(events) {
              return events.map(function (e) {
                if (e.table === 'app.products') {
                  throw new Error('products are not handled by this script');
                }
                (e.after || e.before)._cache_keys = ['user:' + (e.after || e.before).id];
                return e;
              });
            }
            """;

    @TempDir
    Path dir;

    private final TestServers servers = TestServers.local();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<String> collected = new ArrayList<>();

    @AfterEach
    void serversBackAndUsersGone() throws Exception {
        Servers.start();
        try (Jedis jedis = servers.redis()) {
            jedis.aclDelUser(REDIS_USER);
        }
        try (Connection db = servers.admin(); Statement sql = db.createStatement()) {
            sql.execute("DROP USER IF EXISTS '" + DB_USER + "'@'%'");
            sql.execute("DROP USER IF EXISTS '" + DB_USER + "'@'localhost'");
        }
    }

    @Test
    void noPasswordLeavesTheProcessThroughChangesFailuresAndAnOutage() throws Exception {
        createDatabaseUser();
        createRedisUser();
        int port = AppProcess.freePort();
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cdc.name", "secrets-it");
        props.put("cdc.serverId", "23117");
        props.put("cdc.dataDir", dir.resolve("data").toString());
        props.put("stream.key", STREAM);
        props.put("stream.deadLetterKey", DEAD_LETTERS);
        props.put("script.file", Files.writeString(dir.resolve("partial.js"), SCRIPT).toString());
        props.put("script.retries", "0");
        props.put("worker.blockMs", "500");
        props.put("worker.maxDeliveries", "1");
        props.put("worker.claimIdleMs", "1000");
        props.put("camel.management.port", Integer.toString(port));
        props.put("camel.management.host", MANAGEMENT_HOST);
        props.put("camel.health.exposureLevel", "full");
        try (Jedis jedis = servers.redis()) {
            jedis.del(STREAM, DEAD_LETTERS);
        }
        URI base = URI.create("http://" + MANAGEMENT_HOST + ":" + port);
        try (AppProcess app = AppProcess.jar("all", props, Map.of("MYSQL_DSN", secretDsn(), "REDIS_URI", secretRedisUri()))) {
            app.awaitLine("Connected to binlog", Duration.ofSeconds(90));
            Awaitility.await().atMost(WAIT).ignoreExceptions().until(() -> get(base, "/observe/health/ready").statusCode() == 200);

            try (Jedis jedis = servers.redis()) {
                jedis.set("user:2", "cached");
                change("UPDATE users SET name = CONCAT(name, '.') WHERE id = 2");
                Awaitility.await().atMost(WAIT).until(() -> !jedis.exists("user:2"));

                change("UPDATE products SET price = price + 1 WHERE id = 1");
                Awaitility.await().atMost(WAIT).until(() -> jedis.xlen(DEAD_LETTERS) >= 1);

                jedis.xadd(STREAM, redis.clients.jedis.StreamEntryID.NEW_ENTRY, Map.of("event", "not an event"));
                Awaitility.await().atMost(WAIT).until(() -> jedis.xlen(DEAD_LETTERS) >= 2);
            }
            scrape(base);

            try (Jedis jedis = servers.redis()) {
                jedis.set("user:1", "cached");
                jedis.shutdown();
            } catch (Exception closedByShutdown) {
                // SHUTDOWN closes the connection under us
            }
            change("UPDATE users SET name = CONCAT(name, '.') WHERE id = 1");
            Awaitility.await().atMost(WAIT).ignoreExceptions()
                    .until(() -> get(base, "/observe/health/ready").statusCode() == 503);
            scrape(base);
            Servers.start();
            // for a moment the ACL user is gone: the pipeline and the worker meet a refused login first
            Thread.sleep(2000);
            createRedisUser();
            try (Jedis jedis = servers.redis()) {
                Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !jedis.exists("user:1"));
            }
            Awaitility.await().atMost(WAIT).ignoreExceptions().until(() -> get(base, "/observe/health/ready").statusCode() == 200);
            scrape(base);

            for (String path : List.of("/", "/observe/info", "/observe/jolokia", "/q/dev", "/observe/dev",
                    "/observe/upload", "/observe/download", "/observe/send")) {
                assertThat(get(base, path).statusCode()).as(path).isEqualTo(404);
            }
            assertThatThrownBy(() -> get(URI.create("http://127.0.0.1:" + port), "/observe/health"))
                    .as("the management port answers on " + MANAGEMENT_HOST + " only").isInstanceOf(ConnectException.class);

            app.close();
            collected.add(app.output());
        }
        try (Jedis jedis = servers.redis()) {
            for (String stream : List.of(STREAM, DEAD_LETTERS)) {
                for (StreamEntry entry : jedis.xrange(stream, "-", "+")) {
                    collected.add(entry.getFields().toString());
                }
            }
        }

        String everything = String.join("\n", collected);
        assertThat(everything).as("what was collected").contains("Invalidated 1 keys for app.users",
                "products are not handled by this script", "cache_invalidation");
        for (String secret : List.of(MARIADB_PASSWORD, REDIS_PASSWORD)) {
            assertThat(everything).doesNotContain(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8));
        }
    }

    private void scrape(URI base) throws IOException, InterruptedException {
        for (String path : List.of("/observe/health", "/observe/health/ready", "/observe/health/live", "/observe/metrics")) {
            collected.add(get(base, path).body());
        }
    }

    private HttpResponse<String> get(URI base, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String secretDsn() {
        MysqlDsn dsn = MysqlDsn.parse(servers.mysqlDsn());
        return "mysql://" + DB_USER + ":" + MARIADB_PASSWORD + "@" + dsn.host() + ":" + dsn.port() + "/app";
    }

    private String secretRedisUri() {
        RedisAddress redis = RedisAddress.parse(servers.redisUri());
        return "redis://" + REDIS_USER + ":" + REDIS_PASSWORD + "@" + redis.host() + ":" + redis.port();
    }

    private void createRedisUser() {
        try (Jedis jedis = servers.redis()) {
            jedis.aclSetUser(REDIS_USER, "on", ">" + REDIS_PASSWORD, "~*", "&*", "+@all");
        }
    }

    private void createDatabaseUser() throws Exception {
        try (Connection db = servers.admin(); Statement sql = db.createStatement()) {
            for (String host : List.of("%", "localhost")) {
                String user = "'" + DB_USER + "'@'" + host + "'";
                sql.execute("CREATE OR REPLACE USER " + user + " IDENTIFIED BY '" + MARIADB_PASSWORD + "'");
                sql.execute("GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO " + user);
            }
        }
    }

    private void change(String statement) throws Exception {
        try (Connection db = servers.admin(); Statement sql = db.createStatement()) {
            sql.executeUpdate(statement);
        }
    }
}
