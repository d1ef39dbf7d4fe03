package dev.cacheinvalidation.it;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/** Changes committed while the pipeline is stopped are invalidated after it starts again. */
class RestartIT {

    @TempDir
    Path dataDir;

    @Test
    void changesMadeWhileAPipelineThatNeverSawAChangeWasStoppedAreNotLost() throws Exception {
        TestServers servers = TestServers.local();
        Map<String, String> props = RunningApp.defaults(servers, "restart-it", dataDir);
        try (RunningApp first = RunningApp.start(RunningApp.PIPELINE, props)) {
            Thread.sleep(2500);
        }
        try (Jedis jedis = servers.redis()) {
            jedis.set("product:2", "cached");
        }
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = 2");
        }
        try (RunningApp second = RunningApp.start(RunningApp.ALL, props); Jedis jedis = servers.redis()) {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !jedis.exists("product:2"));
        }
    }
}
