package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;

/**
 * The database goes away right after the start-up check, as the binlog reader makes its first connection: a TCP
 * proxy standing in for the DSN's address closes (or refuses) every connection after the check's for 20 s. The
 * Debezium engine fails ("Unable to connect") and ends; the pipeline must not stay up with no engine behind it, but
 * start it again, and stream within 30 s of the database's return with nobody stepping in.
 */
class DatabaseAwayAtStartIT {

    private static final Duration AWAY = Duration.ofSeconds(20);

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "connections {0}")
    @ValueSource(strings = { "closed", "refused" })
    void theBinlogIsStreamedAgainWithin30SecondsOfTheDatabasesReturn(String how) throws Exception {
        TestServers servers = TestServers.local();
        String name = "db-away-" + how;
        String stream = name + ":invalidations";
        int mariadbPort = Integer.parseInt(servers.get("MARIADB_PORT"));
        try (TcpProxy proxy = new TcpProxy(mariadbPort)) {
            String proxied = servers.mysqlDsn().replace(":" + mariadbPort + "/", ":" + proxy.port() + "/");
            Map<String, String> props = RunningApp.defaults(servers, name, dataDir);
            props.put("cdc.dsn", proxied);
            props.put("stream.key", stream);
            // the start-up check's connection is the first; the binlog reader's are the ones after it
            proxy.awayFrom(2, "refused".equals(how));
            try (AppProcess app = AppProcess.jar("pipeline", props, Map.of())) {
                app.awaitLine("Unable to connect", Duration.ofSeconds(60));
                TimeUnit.MILLISECONDS.sleep(AWAY.toMillis());
                proxy.back();
                long back = System.nanoTime();
                long streaming = app.awaitLine("Connected to binlog", Duration.ofSeconds(60));
                assertThat(Duration.ofNanos(streaming - back)).isLessThan(Duration.ofSeconds(30));
                assertThat(app.output()).contains("restarting route cdc-to-stream");

                try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                    statement.executeUpdate("UPDATE users SET name = CONCAT(name, '.') WHERE id = 2");
                }
                try (Jedis jedis = servers.redis()) {
                    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jedis.xlen(stream) > 0);
                }
            }
        }
    }
}
