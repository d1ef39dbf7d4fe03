package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
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
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A key script bug dead-letters a batch and its rows' keys stay cached; once the script is fixed, {@code redrive}
 * runs the dead-lettered events through it into the stream, where the running worker deletes the keys, and
 * removes the dead letters. An entry the worker had dead-lettered goes back to its stream as it was.
 */
class RedriveIT {

    private static final int FIRST_ID = 7_100_001;
    private static final String BUGGY = """
            // a bug: a name the script did not expect makes it throw
            const keysOfRows = processBatch;
            processBatch = function (events) {
              if (events.some(event => event.after && String(event.after.name).startsWith('unexpected'))) {
                throw new Error('cannot handle this name');
              }
              return keysOfRows(events);
            };
            """;
    private static final String FIXED = "// fixed: every name is handled by cache-keys.js\n";

    @TempDir
    Path dir;

    @Test
    void afterTheFixRedriveInvalidatesTheDeadLetteredBatchAndEmptiesTheDeadLetters() throws Exception {
        TestServers servers = TestServers.local();
        UserInserts.ensure(servers, FIRST_ID, 4);
        String name = "redrive-it";
        String stream = name + ":invalidations";
        String deadLetters = stream + ":dlq";
        Path script = Files.writeString(dir.resolve("keys-fix.js"), BUGGY);
        Map<String, String> props = RunningApp.defaults(servers, name, dir.resolve("data"));
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", deadLetters);
        props.put("worker.group", name);
        props.put("cdc.tables", "app.users");
        props.put("script.file", "routes/cache-keys.js," + script);
        props.put("script.retries", "0");
        List<String> batchKeys = List.of("user:" + FIRST_ID, "user:" + (FIRST_ID + 1), "user:" + (FIRST_ID + 2));
        String untouched = "user:" + (FIRST_ID + 3);
        try (Jedis jedis = servers.redis(); AppProcess app = AppProcess.jar("all", props, Map.of())) {
            jedis.del(stream, deadLetters);
            app.awaitLine("Connected to binlog", Duration.ofSeconds(90));
            for (String key : batchKeys) {
                jedis.set(key, "cached");
            }
            jedis.set(untouched, "cached");
            execute(servers, "UPDATE users SET name = CONCAT('unexpected ', UUID()) WHERE id BETWEEN " + FIRST_ID
                    + " AND " + (FIRST_ID + 2));
            Awaitility.await("the batch dead-lettered").atMost(Duration.ofSeconds(30))
                    .until(() -> jedis.xlen(deadLetters) == 3);
            // an entry the worker could not handle, dead-lettered as the worker does it
            StreamEntryID original = new StreamEntryID(1, 0);
            jedis.xadd(deadLetters, StreamEntryID.NEW_ENTRY, Map.of("event", "{\"op\":\"u\",\"table\":\"app.users\","
                    + "\"before\":{\"_cache_keys\":[\"" + untouched + ":requeued\"]},\"after\":null,\"tags\":[]}",
                    "error", "a worker that was down", "original_id", original.toString(), "original_stream", stream));
            jedis.set(untouched + ":requeued", "cached");
            Thread.sleep(2_000);
            assertThat(batchKeys).allSatisfy(key -> assertThat(jedis.exists(key)).as(key + " stays while dead-lettered").isTrue());

            Files.writeString(script, FIXED);
            try (AppProcess redrive = AppProcess.jar("redrive", props, Map.of())) {
                assertThat(redrive.awaitExit(Duration.ofSeconds(90))).as(redrive.tail(30)).isZero();
                assertThat(redrive.output()).contains("1 dead-lettered batch(es) of 3 event(s) written to the stream",
                        "0 failed again", "1 entr(y/ies) of the worker's put back");
            }
            Awaitility.await("the batch's keys deleted by the running worker").atMost(Duration.ofSeconds(30))
                    .until(() -> batchKeys.stream().noneMatch(jedis::exists) && !jedis.exists(untouched + ":requeued"));
            assertThat(jedis.xlen(deadLetters)).as("dead letters left").isZero();
            assertThat(jedis.exists(untouched)).as("a key of no dead-lettered row").isTrue();
        }
    }

    @Test
    void aBatchThatFailsAgainStaysDeadLetteredWithTheNewError() throws Exception {
        TestServers servers = TestServers.local();
        String name = "redrive-again-it";
        String stream = name + ":invalidations";
        String deadLetters = stream + ":dlq";
        Path script = Files.writeString(dir.resolve("still-buggy.js"), BUGGY.replace("cannot handle this name",
                "still cannot handle it"));
        Map<String, String> props = RunningApp.defaults(servers, name, dir.resolve("data"));
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", deadLetters);
        props.put("script.file", "routes/cache-keys.js," + script);
        props.put("script.retries", "0");
        try (Jedis jedis = servers.redis()) {
            jedis.del(stream, deadLetters);
            jedis.xadd(deadLetters, StreamEntryID.NEW_ENTRY, Map.of("event", "{\"op\":\"u\",\"table\":\"app.users\","
                    + "\"before\":{\"id\":1,\"name\":\"a\"},\"after\":{\"id\":1,\"name\":\"unexpected b\"},\"tags\":[]}",
                    "error", "cannot handle this name", "stage", "script", "batch", "b-1"));
            try (AppProcess redrive = AppProcess.jar("redrive", props, Map.of())) {
                assertThat(redrive.awaitExit(Duration.ofSeconds(90))).as(redrive.tail(30)).isEqualTo(1);
                assertThat(redrive.output()).contains("1 failed again");
            }
            List<StreamEntry> letters = jedis.xrange(deadLetters, "-", "+");
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).getFields().get("error")).contains("still cannot handle it");
            assertThat(letters.get(0).getFields().get("event")).contains("unexpected b");
            assertThat(jedis.xlen(stream)).isZero();
        }
    }

    private static void execute(TestServers servers, String sql) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate(sql);
        }
    }
}
