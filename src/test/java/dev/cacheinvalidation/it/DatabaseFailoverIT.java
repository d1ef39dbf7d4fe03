package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.offsets.RedisOffsetStore;
import dev.cacheinvalidation.offsets.RedisUriSchemaHistory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;

/**
 * The database fails over under a running pipeline. The DSN names a TCP proxy standing in for a DNS name or a
 * virtual IP; behind it, MariaDB servers the test starts itself, with GTIDs in strict mode.
 * The primary is killed (SIGKILL) after 1,000 changes that its replica has applied, the replica is promoted and the
 * address moved to it, and 1,000 more changes are committed there: the pipeline must follow the address and continue
 * from its saved GTID, so that every cache key of the 2,000 rows is deleted, while no key of an unchanged row and
 * none of the application's own keys (the stream, its group, the dead letters, the saved position and the schema
 * history) is touched and nothing is dead-lettered.
 */
class DatabaseFailoverIT {

    private static final int CHANGES = 1000;
    private static final String STREAM = "cache:invalidations";
    private static final String GROUP = "cache-workers";
    private static final String DEAD_LETTERS = "cache:invalidations:dlq";

    @TempDir
    Path dir;

    @Test
    void aPromotedGtidReplicaBehindTheMovedAddressIsFollowedAndEveryKeyOnBothSidesIsDeleted() throws Exception {
        String name = "db-failover-it";
        UserInserts users = new UserInserts(2 * CHANGES);
        try (LocalMariaDb primary = LocalMariaDb.start(dir.resolve("primary"), 1, 0);
                LocalMariaDb replica = LocalMariaDb.start(dir.resolve("replica"), 2, 0, "--read-only=ON");
                LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of());
                Jedis jedis = redis.client();
                TcpProxy proxy = new TcpProxy(primary.port())) {
            primary.loadSchema();
            replica.replicateFrom(primary);
            replica.awaitApplied(primary.binlogGtidPosition(), Duration.ofSeconds(60));

            String redisUri = "redis://127.0.0.1:" + redis.port();
            List<String> keys = users.allKeys();
            List<String> unchanged = users.controlKeys(200);
            setAll(jedis, keys);
            setAll(jedis, unchanged);
            // an earlier dead letter: it must stay, and be the only one
            jedis.xadd(DEAD_LETTERS, StreamEntryID.NEW_ENTRY, Map.of("event", "{}", "error", "earlier"));
            try (AppProcess app = AppProcess.jar("all", properties(name, proxy, redisUri), Map.of())) {
                app.awaitLine("Connected to binlog", Duration.ofSeconds(90));

                insertPaced(primary.servers(redisUri), users, 0, CHANGES);
                // a failover with GTID strict mode loses nothing the replica has applied: kill it once it has
                replica.awaitApplied(primary.binlogGtidPosition(), Duration.ofSeconds(60));
                long beforeKill = countExisting(jedis, keys.subList(0, 4 * CHANGES));
                primary.kill();
                long killed = System.nanoTime();
                replica.promote();
                proxy.moveTo(replica.port());
                long moved = System.nanoTime();

                insertPaced(replica.servers(redisUri), users, CHANGES, 2 * CHANGES);
                long lastChange = System.nanoTime();
                long lastDeleted = awaitAllDeleted(jedis, keys, Duration.ofSeconds(120), app);

                long reconnected = app.arrivals("Connected to binlog").stream().filter(at -> at > moved).findFirst()
                        .orElse(lastDeleted);
                System.out.printf("database failover (MariaDB %s): %d of the %d keys of the primary's %d changes"
                        + " left when it was killed; address moved %d ms after the kill; binlog read again %d ms after"
                        + " the move; %d more changes on the promoted replica, over %d ms; the last of the %d keys"
                        + " deleted %d ms after the last change%n", replica.queryString("SELECT VERSION()"), beforeKill,
                        4 * CHANGES, CHANGES, (moved - killed) / 1_000_000, (reconnected - moved) / 1_000_000, CHANGES,
                        (lastChange - moved) / 1_000_000, keys.size(), (lastDeleted - lastChange) / 1_000_000);
                System.out.print(binlogLines(app));

                assertThat(unchanged.stream().filter(jedis::exists).count()).as("keys of unchanged rows left")
                        .isEqualTo(unchanged.size());
                assertThat(jedis.exists(STREAM)).as("the stream").isTrue();
                assertThat(jedis.xinfoGroups(STREAM)).as("its group").anyMatch(group -> GROUP.equals(group.getName()));
                assertThat(jedis.xlen(DEAD_LETTERS)).as("dead letters").isEqualTo(1);
                assertThat(jedis.exists(RedisOffsetStore.keyOf(name))).as("the saved position").isTrue();
                assertThat(jedis.exists(RedisUriSchemaHistory.keyOf(name))).as("the schema history").isTrue();
                assertThat(app.isAlive()).isTrue();
            }
        }
    }

    private Map<String, String> properties(String name, TcpProxy proxy, String redisUri) {
        Map<String, String> props = RunningApp.defaults(TestServers.of(LocalMariaDb.cdcDsn(proxy.port()),
                LocalMariaDb.cdcDsn(proxy.port()), redisUri), name, dir.resolve("data"));
        props.put("cache.uri", redisUri);
        props.put("stream.key", STREAM);
        props.put("worker.group", GROUP);
        props.put("stream.deadLetterKey", DEAD_LETTERS);
        // the position and schema history in Redis, as the application's own keys there
        props.put("cdc.offsetStore", "redis");
        props.put("cdc.schemaHistory", RedisUriSchemaHistory.class.getName());
        props.put("worker.blockMs", "200");
        return props;
    }

    /** Users {@code from} to {@code to} of the range, in transactions of 10, a transaction every 10 ms or so. */
    private static void insertPaced(TestServers servers, UserInserts users, int from, int to) throws Exception {
        for (int block = from; block < to; block += 100) {
            users.insert(servers, block, Math.min(to, block + 100), 10);
            Thread.sleep(100);
        }
    }

    private static void setAll(Jedis jedis, List<String> keys) {
        var pipeline = jedis.pipelined();
        keys.forEach(key -> pipeline.set(key, "cached"));
        pipeline.sync();
    }

    private static long countExisting(Jedis jedis, List<String> keys) {
        return jedis.exists(keys.toArray(String[]::new));
    }

    /** Polls until none of the keys exists; returns when that was seen (nanoTime). */
    private static long awaitAllDeleted(Jedis jedis, List<String> keys, Duration atMost, AppProcess app)
            throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        List<String> left = new ArrayList<>(keys);
        while (true) {
            List<String> still = new ArrayList<>();
            for (int i = 0; i < left.size(); i += 1000) {
                List<String> part = left.subList(i, Math.min(left.size(), i + 1000));
                var pipeline = jedis.pipelined();
                var replies = part.stream().map(pipeline::exists).toList();
                pipeline.sync();
                for (int j = 0; j < part.size(); j++) {
                    if (replies.get(j).get()) {
                        still.add(part.get(j));
                    }
                }
            }
            long now = System.nanoTime();
            if (still.isEmpty()) {
                return now;
            }
            if (now > deadline) {
                throw new AssertionError(still.size() + " of " + keys.size() + " keys not deleted within " + atMost
                        + " (such as " + still.subList(0, Math.min(5, still.size())) + "); pipeline's last lines:\n"
                        + app.tail(40));
            }
            left = still;
            Thread.sleep(50);
        }
    }

    /** The pipeline's lines about the binlog reader, its engine and errors, indented, for the test's report. */
    private static String binlogLines(AppProcess app) {
        StringBuilder lines = new StringBuilder();
        for (String line : app.lines("")) {
            if (line.contains("inlog") || line.contains("GTID") || line.contains("restart") || line.contains("Unable")
                    || line.contains("saved position") || line.contains(" ERROR ") || line.contains(" WARN ")) {
                // Debezium's messages repeat the whole offset: the start says enough
                lines.append("    ").append(line, 0, Math.min(line.length(), 400)).append('\n');
            }
        }
        return lines.toString();
    }
}
