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
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The stream's Redis is full ({@code maxmemory} with {@code noeviction}) while changes flow: the pipeline holds
 * them and retries, and once there is room again every change is in the stream, once.
 */
class FullRedisIT {

    private static final int FIRST = 7_300_001;
    private static final int ROWS = 20_000;
    private static final String STREAM = "full-redis-it:invalidations";

    @TempDir
    Path dir;

    @Test
    void aFullNoevictionRedisHoldsThePipelineAndEveryChangeEndsInTheStreamOnce() throws Exception {
        TestServers servers = TestServers.local();
        UserInserts.ensure(servers, FIRST, ROWS);
        try (LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of("maxmemory 64mb",
                "maxmemory-policy noeviction")); Jedis jedis = redis.client()) {
            Map<String, String> props = RunningApp.defaults(servers, "full-redis-it", dir.resolve("data"));
            props.put("redis.uri", "redis://127.0.0.1:" + redis.port());
            props.put("stream.key", STREAM);
            try (AppProcess pipeline = AppProcess.jar(List.of("-Xmx256m"), "pipeline", props, Map.of())) {
                pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(90));
                int filler = fill(jedis);
                for (int block = 0; block < ROWS; block += 100) {
                    try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                        statement.executeUpdate("UPDATE users SET name = 'full-" + System.nanoTime() + "' WHERE id BETWEEN "
                                + (FIRST + block) + " AND " + (FIRST + block + 99));
                    }
                }
                pipeline.awaitLine("holding", Duration.ofSeconds(60));
                Thread.sleep(5_000);
                long heldLength = jedis.xlen(STREAM);
                // room again, as when workers delete keys or the cache's traffic stops
                for (int i = 0; i < filler; i += 1000) {
                    Pipeline unlink = jedis.pipelined();
                    for (int j = i; j < Math.min(filler, i + 1000); j++) {
                        unlink.unlink("filler:" + j);
                    }
                    unlink.sync();
                }
                Awaitility.await("every change in the stream").atMost(Duration.ofSeconds(180))
                        .pollInterval(Duration.ofMillis(500)).until(() -> jedis.xlen(STREAM) >= ROWS);
                Thread.sleep(3_000);
                System.out.printf("%d changes: %d entries while Redis was full, %d after; transactions read again"
                        + " after a reconnect of the binlog reader: %d%n", ROWS, heldLength, jedis.xlen(STREAM),
                        pipeline.lines("is read again from its start").size());
                assertThat(heldLength).isLessThan(ROWS);
                assertThat(jedis.xlen(STREAM)).as("one entry per change").isEqualTo(ROWS);
                assertThat(jedis.exists(STREAM + ":dlq")).as("dead letters").isFalse();
                assertThat(pipeline.isAlive()).isTrue();
            }
        }
    }

    /** SETs of 2 KB until Redis refuses one for want of memory; returns how many went in. */
    private static int fill(Jedis jedis) {
        String value = "x".repeat(2048);
        int written = 0;
        while (true) {
            Pipeline pipeline = jedis.pipelined();
            for (int i = 0; i < 500; i++) {
                pipeline.set("filler:" + (written + i), value);
            }
            try {
                pipeline.syncAndReturnAll().forEach(reply -> {
                    if (reply instanceof JedisDataException e) {
                        throw e;
                    }
                });
            } catch (JedisDataException full) {
                return written + 500;
            }
            written += 500;
        }
    }
}
