package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.MySQLContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.MountableFile;
import redis.clients.jedis.Jedis;

/** The seed's scenario against MySQL 8.4 and Redis 7 in containers; skipped where no Docker engine runs. */
@Testcontainers(disabledWithoutDocker = true)
class ContainersIT {

    @Container
    static final MySQLContainer<?> MYSQL = new MySQLContainer<>("mysql:8.4.3")
            .withDatabaseName("app")
            .withUsername("cdc")
            .withPassword("cdc-secret")
            .withCopyFileToContainer(MountableFile.forHostPath("db/app-schema.sql"), "/docker-entrypoint-initdb.d/1-schema.sql")
            .withCopyFileToContainer(MountableFile.forHostPath("db/docker-grants.sql"), "/docker-entrypoint-initdb.d/2-grants.sql")
            .withCommand("--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id=1",
                    "--gtid-mode=ON", "--enforce-gtid-consistency=ON");

    @Container
    static final GenericContainer<?> REDIS = new GenericContainer<>("redis:7.4.1-alpine").withExposedPorts(6379);

    @TempDir
    Path dataDir;

    @Test
    void seedScenarioOnMysql84() throws Exception {
        String address = MYSQL.getHost() + ":" + MYSQL.getMappedPort(3306) + "/app";
        String redisUri = "redis://" + REDIS.getHost() + ":" + REDIS.getMappedPort(6379);
        TestServers servers = TestServers.of("mysql://cdc:cdc-secret@" + address, "mysql://root:cdc-secret@" + address, redisUri);
        List<String> keys = List.of("user:1", "user:email:alice.new@example.com", "user:email:alice@example.com",
                "user:1:orders", "user:1:profile");
        Map<String, String> props = RunningApp.defaults(servers, "containers-it", dataDir);
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            for (String key : keys) {
                jedis.set(key, "cached");
            }
            jedis.set("user:2", "cached");
            try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                statement.executeUpdate("UPDATE app.users SET email = 'alice.new@example.com' WHERE id = 1");
            }
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> keys.stream().noneMatch(jedis::exists));
            assertThat(jedis.exists("user:2")).isTrue();
        }
    }
}
