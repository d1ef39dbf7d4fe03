package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * A cache restored from a backup taken before some changes: {@code replay --since T}, beside the running pipeline
 * and worker, invalidates again exactly the rows changed since T, while the running pipeline goes on invalidating
 * new changes. A time the binlog no longer reaches back to is refused, naming the oldest it can serve.
 */
class ReplayIT {

    private static final int FIRST_ID = 7_200_001;

    @TempDir
    Path dir;

    @Test
    void aReplaySinceATimeInvalidatesAgainExactlyTheRowsChangedSince() throws Exception {
        TestServers servers = TestServers.local();
        UserInserts.ensure(servers, FIRST_ID, 6);
        String name = "replay-it";
        String stream = name + ":invalidations";
        Map<String, String> props = RunningApp.defaults(servers, name, dir.resolve("data"));
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", stream + ":dlq");
        props.put("worker.group", name);
        props.put("cdc.tables", "app.users");
        try (Jedis jedis = servers.redis(); AppProcess running = AppProcess.jar("all", props, Map.of())) {
            jedis.del(stream);
            running.awaitLine("Connected to binlog", Duration.ofSeconds(90));
            rename(servers, 0, 1);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jedis.xlen(stream) >= 2);
            // the binlog's times are whole seconds: the changes before T are in an earlier second than T
            Thread.sleep(1_100);
            Instant since = Instant.now();
            rename(servers, 2, 3);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> jedis.xlen(stream) >= 4);

            // the cache restored from a backup taken before T: every key stale again
            for (int i = 0; i < 6; i++) {
                jedis.set(key(i), "stale");
            }
            AppProcess replay = AppProcess.ofJar("replay").properties(props).arguments("--since", since.toString())
                    .start();
            try (replay) {
                replay.awaitLine("Replay from", Duration.ofSeconds(90));
                // the running pipeline goes on meanwhile
                rename(servers, 4, 4);
                assertThat(replay.awaitExit(Duration.ofSeconds(120))).as(replay.tail(40)).isZero();
                assertThat(replay.output()).contains("Replay done");
            }
            Awaitility.await("the rows changed since T invalidated again").atMost(Duration.ofSeconds(30))
                    .until(() -> !jedis.exists(key(2)) && !jedis.exists(key(3)) && !jedis.exists(key(4)));
            assertThat(jedis.get(key(0))).as("changed only before T").isEqualTo("stale");
            assertThat(jedis.get(key(1))).as("changed only before T").isEqualTo("stale");
            assertThat(jedis.get(key(5))).as("never changed").isEqualTo("stale");
            assertThat(running.isAlive()).isTrue();
        }
    }

    @Test
    void aTimeThePurgedBinlogNoLongerReachesIsRefused() throws Exception {
        TestServers servers = TestServers.local();
        Map<String, String> props = RunningApp.defaults(servers, "replay-purged-it", dir.resolve("data"));
        try (AppProcess replay = AppProcess.ofJar("replay").properties(props)
                .arguments("--since", "2001-01-01T00:00:00Z").start()) {
            assertThat(replay.awaitExit(Duration.ofSeconds(90))).isEqualTo(2);
            assertThat(replay.output()).contains("reaches back to", "cannot replay since 2001-01-01T00:00:00Z");
        }
    }

    private static String key(int i) {
        return "user:" + (FIRST_ID + i);
    }

    private static void rename(TestServers servers, int from, int to) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE users SET name = CONCAT('renamed ', UUID()) WHERE id BETWEEN "
                    + (FIRST_ID + from) + " AND " + (FIRST_ID + to));
        }
    }
}
