package dev.cacheinvalidation.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.metrics.Meters;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FreshnessTest {

    private static final String TABLES = "app.users,app.products";
    /** A time, in microseconds; its stream entry ids are {@code "1000000000000-0"} and after. */
    private static final long T0 = 1_000_000_000_000_000L;

    private DefaultCamelContext camel;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void registry() {
        camel = new DefaultCamelContext();
        registry = new SimpleMeterRegistry();
        camel.getRegistry().bind("meters", registry);
    }

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    @Test
    void onMariadbTheCommitHasWholeSecondsAndTheWorkersShareIsExactToTheMillisecond() {
        Freshness freshness = freshness(TABLES, 5000);
        // committed at some time in second ...445 (the binlog says only the second), written at .800, deleted at 446.1
        freshness.record("app.users", 1_710_505_445_000_000L, "1710505445800-0", 1_710_505_446_100_000L);

        assertUsersTimes(1_100_000, 800_000, 300_000);
    }

    @Test
    void onMysql8TheCommitsMicrosecondsCount() {
        Freshness freshness = freshness(TABLES, 5000);
        // MySQL 8 with GTIDs: source.ts_us is the transaction's original_commit_timestamp, in microseconds
        freshness.record("app.users", 1_710_505_445_123_456L, "1710505445130-7", 1_710_505_445_150_000L);

        assertUsersTimes(26_544, 6_544, 20_000);
    }

    @Test
    void anInvalidationLaterThanTheObjectiveIsCountedForItsTable() {
        Freshness freshness = freshness(TABLES, 1000);
        freshness.record("app.users", T0, "1000000000100-0", T0 + 999_000);
        freshness.record("app.users", T0, "1000000000100-1", T0 + 1_000_000);
        freshness.record("app.users", T0, "1000000000100-2", T0 + 1_000_001);
        freshness.record("app.products", T0, "1000000000100-3", T0 + 7_000_000);

        assertThat(missed("app.users")).isEqualTo(1);
        assertThat(missed("app.products")).isEqualTo(1);
    }

    @Test
    void theObjectiveIsABucketOfTheHistogramsSoItsShareCanBeReadFromThemToo() {
        freshness(TABLES, 1234).record("app.users", T0, "1000000000000-0", T0 + 500);

        double[] bounds = Arrays.stream(timer("cache_invalidation_end_to_end", "app.users").takeSnapshot()
                .histogramCounts()).mapToDouble(bucket -> bucket.bucket(TimeUnit.MILLISECONDS)).toArray();
        assertThat(bounds).contains(1234.0, 1.0, 5000.0, 3_600_000.0);
        assertThat(bounds).hasSize(Freshness.BUCKETS.length + 1);
        CountAtBucket first = timer("cache_invalidation_end_to_end", "app.users").takeSnapshot().histogramCounts()[0];
        assertThat(first.count()).isEqualTo(1);
    }

    @Test
    void clocksThatDisagreeGiveZeroNotANegativeTime() {
        Freshness freshness = freshness(TABLES, 5000);
        // Redis's clock behind the database's, the worker's behind Redis's
        freshness.record("app.users", T0 + 500_000, "1000000000100-0", T0 + 50_000);

        assertUsersTimes(0, 0, 0);
    }

    @Test
    void anEventWithoutCommitTimeGivesOnlyTheWorkersShare() {
        Freshness freshness = freshness(TABLES, 5000);
        freshness.record("app.users", null, "1000000000100-0", T0 + 200_000);

        assertThat(micros("cache_invalidation_stream_to_deleted", "app.users")).isEqualTo(100_000);
        assertThat(timer("cache_invalidation_end_to_end", "app.users").count()).isZero();
        assertThat(timer("cache_invalidation_commit_to_stream", "app.users").count()).isZero();
    }

    @Test
    void theCapturedTablesAreTaggedAndAnyOtherNameIsOther() {
        Freshness freshness = freshness(TABLES, 5000);

        assertThat(freshness.tag("app.users")).isEqualTo("app.users");
        assertThat(freshness.tag("APP.PRODUCTS")).as("table names compare as Debezium compares them")
                .isEqualTo("APP.PRODUCTS");
        assertThat(freshness.tag("app.orders")).isEqualTo("other");
        assertThat(freshness.tag("made-up-by-a-script")).isEqualTo("other");
        assertThat(freshness.tag(null)).isEqualTo("other");
    }

    @Test
    void theTablesAreRegularExpressionsAsForDebeziumAndAnEmptyListCapturesEveryTable() {
        assertThat(freshness("app\\..*", 5000).tag("app.orders")).isEqualTo("app.orders");
        assertThat(freshness("app\\..*", 5000).tag("shop.orders")).isEqualTo("other");
        assertThat(freshness("", 5000).tag("shop.orders")).isEqualTo("shop.orders");
        assertThat(freshness("", 5000).tag(null)).as("an event without a table").isEqualTo("other");
    }

    @Test
    void noMoreThanFiftyTablesHaveATagOfTheirOwn() {
        Freshness freshness = freshness("", 5000);
        for (int i = 0; i < Freshness.MAX_TABLES; i++) {
            assertThat(freshness.tag("app.t" + i)).isEqualTo("app.t" + i);
        }

        assertThat(freshness.tag("app.one_too_many")).isEqualTo("other");
        assertThat(freshness.tag("app.t0")).isEqualTo("app.t0");
    }

    @Test
    void theObjectiveMustBeAboveZero() {
        assertThatThrownBy(() -> freshness(TABLES, 0)).hasMessageContaining("worker.freshnessObjectiveMs");
    }

    @Test
    void theEntryIdsMillisecondsAreItsTime() {
        assertThat(Freshness.entryMillis("1710505445800-12")).isEqualTo(1_710_505_445_800L);
        assertThat(Freshness.entryMillis("not-an-id")).isEqualTo(-1);
        assertThat(Freshness.entryMillis(null)).isEqualTo(-1);
    }


    /** The three times of the one app.users invalidation recorded, in microseconds. */
    private void assertUsersTimes(long endToEnd, long commitToStream, long streamToDeleted) {
        assertThat(micros("cache_invalidation_end_to_end", "app.users")).as("end to end").isEqualTo(endToEnd);
        assertThat(micros("cache_invalidation_commit_to_stream", "app.users")).as("commit to stream")
                .isEqualTo(commitToStream);
        assertThat(micros("cache_invalidation_stream_to_deleted", "app.users")).as("stream to deleted")
                .isEqualTo(streamToDeleted);
    }
    private Freshness freshness(String tables, long objectiveMs) {
        return new Freshness(Meters.of(camel), tables, Duration.ofMillis(objectiveMs));
    }

    private Timer timer(String name, String table) {
        return registry.find(name).tag("table", table).timer();
    }

    private long micros(String name, String table) {
        Timer timer = timer(name, table);
        assertThat(timer.count()).as(name).isEqualTo(1);
        return Math.round(timer.totalTime(TimeUnit.MICROSECONDS));
    }

    private double missed(String table) {
        return registry.get("cache_invalidation_freshness_objective_missed").tag("table", table).counter().count();
    }
}
