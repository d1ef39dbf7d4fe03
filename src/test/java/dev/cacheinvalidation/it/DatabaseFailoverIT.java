package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cacheinvalidation.offsets.RedisOffsetStore;
import dev.cacheinvalidation.offsets.RedisUriSchemaHistory;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The database fails over under a running pipeline. The DSN names a TCP proxy standing in for a DNS name or a
 * virtual IP; behind it, MariaDB servers the test starts itself, with GTIDs in strict mode.
 * <ul>
 * <li>The primary is killed (SIGKILL) after 1,000 changes that its replica has applied, the replica is promoted and
 * the address moved to it, and 1,000 more changes are committed there: the pipeline must follow the address and
 * continue from its saved GTID, so that every cache key of the 2,000 rows is deleted, while no key of an unchanged
 * row and none of the application's own keys (the stream, its group, the dead letters, the saved position and the
 * schema history) is touched and nothing is dead-lettered.</li>
 * <li>The address is moved to a server that never was a replica of the primary (another GTID domain and server id,
 * a history of its own), which cannot serve the saved position: the pipeline must stop with a non-zero exit code
 * and say so, never start silently from that server's current position, which would leave the changes in between
 * unseen and their stale values in the cache for good.</li>
 * </ul>
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

    @ParameterizedTest(name = "{0}")
    @CsvSource({ "another GTID domain, 7", "the same GTID domain and another server id, 0" })
    void anAddressMovedToAServerThatCannotServeTheSavedPositionEndsThePipelineInsteadOfStreamingFromIt(String how,
            int domain) throws Exception {
        String name = "db-failover-stranger-it";
        UserInserts users = new UserInserts(200);
        try (LocalMariaDb primary = LocalMariaDb.start(dir.resolve("primary"), 1, 0);
                LocalMariaDb stranger = LocalMariaDb.start(dir.resolve("stranger"), 3, domain);
                LocalRedis redis = LocalRedis.start(dir.resolve("redis"), List.of());
                Jedis jedis = redis.client();
                TcpProxy proxy = new TcpProxy(primary.port())) {
            primary.loadSchema();
            // a history of its own, never replicated from the primary, longer than the primary's
            stranger.loadSchema();
            for (int i = 0; i < 20; i++) {
                stranger.execute("UPDATE app.users SET name = 'stranger " + i + "' WHERE id = 1");
            }
            String redisUri = "redis://127.0.0.1:" + redis.port();
            List<String> primaryKeys = users.allKeys().subList(0, 400);
            List<String> strangerKeys = users.allKeys().subList(400, 800);
            setAll(jedis, primaryKeys);
            setAll(jedis, strangerKeys);
            try (AppProcess app = AppProcess.jar("all", properties(name, proxy, redisUri), Map.of())) {
                app.awaitLine("Connected to binlog", Duration.ofSeconds(90));
                users.insert(primary.servers(redisUri), 0, 100, 10);
                awaitAllDeleted(jedis, primaryKeys, Duration.ofSeconds(60), app);
                // the saved position is the primary's last transaction: only another server can serve what follows
                String savedGtid = primary.binlogGtidPosition();
                Awaitility.await("position " + savedGtid + " saved").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100)).until(() -> jedis.hvals(RedisOffsetStore.keyOf(name))
                                .stream().anyMatch(offset -> offset.contains("\"" + savedGtid + "\"")));
                long streamedBefore = jedis.xlen(STREAM);
                primary.kill();
                proxy.moveTo(stranger.port());
                long moved = System.nanoTime();

                // changes on the wrong server while the pipeline is up: none may ever be invalidated
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger committed = new AtomicInteger(100);
                CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                    try {
                        while (!stop.get() && committed.get() < 200) {
                            users.insert(stranger.servers(redisUri), committed.get(), committed.get() + 5, 5);
                            committed.addAndGet(5);
                            Thread.sleep(1000);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException("changes on the other server failed", e);
                    }
                });
                try {
                    long deadline = moved + Duration.ofSeconds(90).toNanos();
                    while (app.isAlive() && System.nanoTime() < deadline) {
                        long deleted = strangerKeys.stream().filter(key -> !jedis.exists(key)).count();
                        long streamed = jedis.xlen(STREAM) - streamedBefore;
                        if (deleted > 0 || streamed > 0) {
                            throw new AssertionError(streamed + " events streamed and " + deleted + " keys of changes"
                                    + " committed on the other server deleted " + (System.nanoTime() - moved) / 1_000_000
                                    + " ms after the move (" + how + "): the pipeline streams from a server that does"
                                    + " not have its position; its lines:\n" + binlogLines(app));
                        }
                        Thread.sleep(200);
                    }
                    assertThat(app.isAlive()).as("pipeline still running 90 s after the move (%s); its lines:%n%s",
                            how, binlogLines(app)).isFalse();
                } finally {
                    stop.set(true);
                    writes.join();
                }
                int exit = app.awaitExit(Duration.ofSeconds(10));
                System.out.printf("address moved to a server without the saved position (%s): exit code %d after %d"
                        + " ms; %d changes committed there meanwhile%n%s", how, exit,
                        (System.nanoTime() - moved) / 1_000_000, committed.get() - 100, binlogLines(app));

                assertThat(exit).as("exit code").isNotZero();
                assertThat(app.lines("cannot continue from the saved position")).hasSize(1);
                assertThat(jedis.xlen(STREAM)).as("events streamed after the move").isEqualTo(streamedBefore);
                assertThat(strangerKeys.stream().filter(key -> !jedis.exists(key)).toList())
                        .as("keys of changes on the other server deleted").isEmpty();
                assertThat(streamedIds(jedis)).as("changes of the other server in the stream")
                        .doesNotContainAnyElementsOf(users.ids().subList(100, 200));
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

    /** The user ids the stream's events name in a {@code user:<id>} key. */
    private static Set<Integer> streamedIds(Jedis jedis) {
        Set<Integer> ids = new HashSet<>();
        if (!jedis.exists(STREAM)) {
            return ids;
        }
        for (StreamEntry entry : jedis.xrange(STREAM, "-", "+")) {
            for (String value : entry.getFields().values()) {
                java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("\"user:(\\d+)\"").matcher(value);
                while (matcher.find()) {
                    ids.add(Integer.parseInt(matcher.group(1)));
                }
            }
        }
        return ids;
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
