package dev.cacheinvalidation.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.config.ConfigurationException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.resps.StreamEntry;

class RecoveryCommandsTest {

    @Test
    void replayBoundsAreInstantsBinlogPlacesOrGtidSets() {
        assertThat(Replay.Bound.parse("--since", "2026-12-02T10:00:00Z").time())
                .isEqualTo(Instant.parse("2026-12-02T10:00:00Z"));
        assertThat(Replay.Bound.parse("--since", "2026-12-02T11:00:00+01:00").time())
                .isEqualTo(Instant.parse("2026-12-02T10:00:00Z"));
        assertThat(Replay.Bound.parse("--since", "mysql-bin.000042:4711").place())
                .isEqualTo(new BinlogFiles.Place("mysql-bin.000042", 4711));
        assertThat(Replay.Bound.parse("--since", "0-1-41200,1-2-7").gtids()).isEqualTo("0-1-41200,1-2-7");
        assertThat(Replay.Bound.parse("--since", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100").gtids()).isNotNull();
        assertThatThrownBy(() -> Replay.Bound.parse("--since", "yesterday")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("--since yesterday is neither");
    }

    @Test
    void replayOptionsLeaveTheRestToCamelMain() {
        Replay.Options options = Replay.Options.parse(new String[] { "--since", "mysql-bin.000001:4", "--until",
                "2026-12-02T10:00:00Z", "-Dx=y" });
        assertThat(options.since().place()).isNotNull();
        assertThat(options.until().time()).isNotNull();
        assertThat(options.rest()).containsExactly("-Dx=y");
        assertThatThrownBy(() -> Replay.Options.parse(new String[0])).hasMessageContaining("replay needs --since");
        assertThatThrownBy(() -> Replay.Options.parse(new String[] { "--since", "mysql-bin.000001:4", "--until", "0-1-5" }))
                .hasMessageContaining("not a GTID set");
    }

    @Test
    void theMariaDbPositionBeforeAGtidIsItsSequenceLessOne() {
        assertThat(Replay.before("0-1-41200")).isEqualTo("0-1-41199");
        assertThat(Replay.before("2-7-1")).isEqualTo("2-7-0");
    }

    @Test
    void theKeysOfAnEntryAreCountedFromItsText() {
        assertThat(Replay.keysIn("{\"before\":null,\"after\":{\"id\":1,\"_cache_keys\":[\"user:1\",\"a,]\\\"b\",\"c\"]}}"))
                .isEqualTo(3);
        assertThat(Replay.keysIn("{\"before\":{\"_cache_keys\":[]},\"after\":null}")).isZero();
        assertThat(Replay.keysIn("{\"op\":\"u\"}")).isZero();
    }

    @Test
    void binlogPlacesCompareByFileThenPosition() {
        assertThat(new BinlogFiles.Place("mysql-bin.000002", 4)).isGreaterThan(new BinlogFiles.Place("mysql-bin.000001", 999));
        assertThat(new BinlogFiles.Place("mysql-bin.000002", 500)).isLessThan(new BinlogFiles.Place("mysql-bin.000002", 501));
    }

    @Test
    void aSavedReplayPositionHasReachedItsEndByPlaceOrTime() {
        Replay.Saved saved = Replay.Saved.of("{\"file\":\"mysql-bin.000003\",\"pos\":1526,\"ts_sec\":100}");
        assertThat(saved.reached(new BinlogFiles.Place("mysql-bin.000003", 1526), Long.MAX_VALUE)).isTrue();
        assertThat(saved.reached(new BinlogFiles.Place("mysql-bin.000003", 1527), Long.MAX_VALUE)).isFalse();
        assertThat(saved.reached(null, 99_000)).isTrue();
        assertThat(Replay.Saved.of(null)).isNull();
    }

    @Test
    void deadLettersGroupByBatchAndTheWorkersStandAlone() {
        List<StreamEntry> letters = List.of(
                letter(1, Map.of("event", "{}", "batch", "a", "error", "x")),
                letter(2, Map.of("event", "{}", "batch", "a", "error", "x")),
                letter(3, Map.of("event", "{}", "batch", "b", "error", "x")),
                letter(4, Map.of("event", "{}", "original_id", "1-0", "original_stream", "s", "error", "y")),
                letter(5, Map.of("event", "{}", "original_id", "2-0", "original_stream", "s", "error", "y")),
                // written before batches had ids: consecutive letters with one error are one batch
                letter(6, Map.of("event", "{}", "error", "z")),
                letter(7, Map.of("event", "{}", "error", "z")));
        assertThat(Redrive.groups(letters)).extracting(List::size).containsExactly(2, 1, 1, 1, 2);
    }

    private static StreamEntry letter(long time, Map<String, String> fields) {
        return new StreamEntry(new StreamEntryID(time, 0), fields);
    }
}
