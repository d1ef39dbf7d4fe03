package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/** With offsets and schema history in Redis the pipeline needs no disk and resumes where it stopped. */
class RedisStateStoreIT {

    @TempDir
    Path dataDir;

    @Test
    void offsetsAndSchemaHistoryInRedisSurviveARestartWithoutLocalFiles() throws Exception {
        TestServers servers = TestServers.local();
        String name = "redis-state-it";
        Map<String, String> props = RunningApp.defaults(servers, name, dataDir);
        props.put("cdc.offsetStore", "redis");
        props.put("cdc.schemaHistory", "dev.cacheinvalidation.offsets.RedisUriSchemaHistory");
        try (Jedis jedis = servers.redis()) {
            jedis.del(name + ":offsets", name + ":schema-history");
        }
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            jedis.set("product:1", "cached");
            change("UPDATE products SET price = price + 1 WHERE id = 1");
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !jedis.exists("product:1"));
        }
        try (Jedis jedis = servers.redis()) {
            assertThat(jedis.exists(name + ":offsets")).isTrue();
            assertThat(jedis.exists(name + ":schema-history")).isTrue();
        }
        try (Stream<Path> files = Files.list(dataDir)) {
            assertThat(files).isEmpty();
        }
        // a change while the pipeline is down is picked up from the saved position
        try (Jedis jedis = servers.redis()) {
            jedis.set("product:2", "cached");
        }
        change("UPDATE products SET price = price + 1 WHERE id = 2");
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !jedis.exists("product:2"));
        }
    }

    private static void change(String sql) throws Exception {
        try (Connection db = TestServers.local().admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql);
        }
    }
}
