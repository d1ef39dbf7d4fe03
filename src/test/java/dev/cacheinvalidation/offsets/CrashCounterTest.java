package dev.cacheinvalidation.offsets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.SkippedRecord;
import dev.cacheinvalidation.event.SourceChange;
import dev.cacheinvalidation.event.TransactionBoundary;
import org.junit.jupiter.api.Test;

class CrashCounterTest {

    private static final String AT = "{\"file\":\"mysql-bin.000003\",\"pos\":4711,\"ts_sec\":100}";
    private static final String SAME_PLACE_LATER = "{\"pos\":4711,\"file\":\"mysql-bin.000003\",\"ts_sec\":160}";
    private static final String FURTHER = "{\"file\":\"mysql-bin.000003\",\"pos\":9000,\"ts_sec\":170}";

    private final List<CrashCounter.Saved> store = new ArrayList<>();
    private CrashCounter.Saved kept;

    /** One run: reads the transactions, each of the given tables, and dies (or, if {@code clean}, stops). */
    private List<SourceChange> run(CrashCounter counter, String position, boolean clean, String... txTables) {
        counter.runStarting(position, kept, saved -> {
            store.add(saved);
            kept = saved;
        });
        List<SourceChange> out = new ArrayList<>();
        int tx = 0;
        for (String tables : txTables) {
            tx++;
            out.add(counter.admit(new TransactionBoundary("0-1-" + tx)));
            for (String table : tables.split(",")) {
                out.add(counter.admit(row(table, "0-1-" + tx)));
            }
        }
        if (clean) {
            counter.runEnded();
        }
        return out;
    }

    private static ChangeEvent row(String table, String tx) {
        return new ChangeEvent("u", table, Map.of("id", 1), Map.of("id", 1), new ArrayList<>(), null, tx);
    }

    @Test
    void theThirdRunAtThePositionWhereTwoCrashedInvalidatesWhatTheyReadByTable() {
        CrashCounter counter = new CrashCounter();
        counter.setEscapeAfterCrashes(2);
        run(counter, AT, false, "app.users");
        run(counter, SAME_PLACE_LATER, false, "app.users,app.users", "app.orders");
        assertThat(kept.crashes()).isEqualTo(2);
        assertThat(kept.transactions()).isEqualTo(2);

        List<SourceChange> third = run(counter, AT, true, "app.users,app.users", "app.orders", "app.products");

        assertThat(third).hasSize(7);
        assertThat(third.get(1)).isInstanceOfSatisfying(ChangeEvent.class, e -> {
            assertThat(e.op()).isEqualTo(ChangeEvent.TABLE_CHANGE);
            assertThat(e.table()).isEqualTo("app.users");
            assertThat(e.after()).isNull();
        });
        assertThat(third.get(2)).isInstanceOf(SkippedRecord.class);
        assertThat(((ChangeEvent) third.get(4)).op()).isEqualTo(ChangeEvent.TABLE_CHANGE);
        // the third transaction was not read by the runs that crashed: by row
        assertThat(((ChangeEvent) third.get(6)).op()).isEqualTo("u");
        assertThat(counter.escapedTransactions()).isEqualTo(2);
        assertThat(counter.recentEscape(System.currentTimeMillis(), 60_000)).contains("2 transaction(s)");
        assertThat(kept.crashes()).as("cleared by the clean stop").isZero();
    }

    @Test
    void aCleanStopOrAPositionSavedFurtherIsNoCrash() {
        CrashCounter counter = new CrashCounter();
        counter.setEscapeAfterCrashes(2);
        run(counter, AT, true, "app.users");
        run(counter, AT, true, "app.users");
        List<SourceChange> third = run(counter, AT, false, "app.users");
        assertThat(((ChangeEvent) third.get(1)).op()).isEqualTo("u");
        assertThat(kept.crashes()).isEqualTo(1);

        run(counter, FURTHER, false, "app.users");
        List<SourceChange> fifth = run(counter, FURTHER, false, "app.users");
        assertThat(((ChangeEvent) fifth.get(1)).op()).as("two crashes at the further place only").isEqualTo("u");
        assertThat(kept.crashes()).isEqualTo(2);
    }

    @Test
    void aRunThatReadsNothingIsNotCounted() {
        CrashCounter counter = new CrashCounter();
        counter.setEscapeAfterCrashes(2);
        for (int i = 0; i < 3; i++) {
            run(counter, AT, false);
        }
        assertThat(store).isEmpty();
    }

    @Test
    void onlyARunStartingWhereOneCrashedNotesEveryTransaction() {
        CrashCounter counter = new CrashCounter();
        counter.setEscapeAfterCrashes(2);
        run(counter, AT, false, "a.t", "a.t", "a.t");
        assertThat(store).hasSize(1);
        store.clear();
        run(counter, AT, false, "a.t", "a.t", "a.t");
        assertThat(store).extracting(CrashCounter.Saved::transactions).containsExactly(1L, 2L, 3L);
    }

    @Test
    void escapeAfterCrashesZeroNeverEscapes() {
        CrashCounter counter = new CrashCounter();
        counter.setEscapeAfterCrashes(0);
        for (int i = 0; i < 4; i++) {
            List<SourceChange> out = run(counter, AT, false, "app.users");
            assertThat(((ChangeEvent) out.get(1)).op()).isEqualTo("u");
        }
    }

    @Test
    void theRecordSurvivesTheOffsetStoresBytes() {
        CrashCounter.Saved saved = new CrashCounter.Saved(CrashCounter.placeOf(AT), 2, 5, "0-1-9");
        assertThat(CrashCounter.decode(CrashCounter.encode(saved))).isEqualTo(saved);
        assertThat(CrashCounter.placeOf(AT)).isEqualTo(CrashCounter.placeOf(SAME_PLACE_LATER));
        assertThat(CrashCounter.placeOf(AT)).isNotEqualTo(CrashCounter.placeOf(FURTHER));
    }
}
