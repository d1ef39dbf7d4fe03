package dev.cacheinvalidation.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import dev.cacheinvalidation.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How fresh the cache is, per table, measured as an event's keys are deleted: from the change's commit in the
 * binlog to the deletion (end to end), split at the stream entry's time (the milliseconds of its id) into the
 * pipeline's share (commit to stream) and the worker's (stream to deleted), and a count of the invalidations later
 * than the objective.
 * <p>
 * The commit time is the event's {@code source.ts_us}: microseconds on MySQL 8 with GTIDs, whole seconds on MariaDB
 * (there the end to end and the pipeline's share read up to a second long; the worker's share, between two times of
 * milliseconds, is exact). Three clocks are compared (the database's, Redis's, the worker's): a time that comes out
 * negative, by clock skew, counts as 0.
 * <p>
 * The histograms have fixed buckets ({@link #BUCKETS} and the objective), so that quantiles can be computed across
 * workers from a few series per table. Tag {@code table}: a table {@code cdc.tables} captures (its entries are
 * regular expressions, as Debezium reads them; an empty list captures every table), at most {@link #MAX_TABLES};
 * any other as {@code other}.
 */
final class Freshness {

    private static final Logger LOG = LoggerFactory.getLogger(Freshness.class);
    static final Duration[] BUCKETS = seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
            25, 60, 300, 900, 3600);
    static final int MAX_TABLES = 50;
    static final String OTHER = "other";
    /** Table names whose tag is looked up without a lock (a script may name tables of its own, without end). */
    private static final int MAX_NAMES_REMEMBERED = 1000;

    private final Meters meters;
    private final List<Pattern> captured;
    private final long objectiveMicros;
    private final Duration[] buckets;
    private final Map<String, TableMeters> byTable = new ConcurrentHashMap<>();
    private int tagged;
    private boolean warnedFull;
    private TableMeters other;

    /**
     * @param tables    {@code cdc.tables}: comma separated regular expressions of {@code db.table}
     * @param objective {@code worker.freshnessObjectiveMs}: an invalidation later than this after the commit missed it
     */
    Freshness(Meters meters, String tables, Duration objective) {
        if (objective.isNegative() || objective.isZero()) {
            throw new IllegalArgumentException(
                    "worker.freshnessObjectiveMs must be above 0, was " + objective.toMillis());
        }
        this.meters = meters;
        this.captured = patterns(tables);
        this.objectiveMicros = objective.toNanos() / 1000;
        TreeSet<Duration> all = new TreeSet<>(List.of(BUCKETS));
        all.add(objective);
        this.buckets = all.toArray(Duration[]::new);
    }

    /**
     * Records one event whose keys were just deleted.
     *
     * @param committedMicros the commit time of its change ({@link CacheKeys#committedMicros()}), null when unknown
     * @param entryId         its stream entry's id ({@code <milliseconds>-<sequence>})
     * @param nowMicros       when its keys were deleted ({@link #nowMicros()})
     */
    void record(String table, Long committedMicros, String entryId, long nowMicros) {
        TableMeters of = of(table);
        long streamMicros = entryMillis(entryId) * 1000;
        if (streamMicros >= 0) {
            of.streamToDeleted.record(Math.max(0, nowMicros - streamMicros), TimeUnit.MICROSECONDS);
        }
        if (committedMicros == null) {
            return;
        }
        long endToEnd = Math.max(0, nowMicros - committedMicros);
        of.endToEnd.record(endToEnd, TimeUnit.MICROSECONDS);
        if (streamMicros >= 0) {
            of.commitToStream.record(Math.max(0, streamMicros - committedMicros), TimeUnit.MICROSECONDS);
        }
        if (endToEnd > objectiveMicros) {
            of.objectiveMissed.increment();
        }
    }

    /** This machine's time in microseconds since the epoch. */
    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** The milliseconds of a stream entry id, -1 when it is none. */
    static long entryMillis(String entryId) {
        int dash = entryId == null ? -1 : entryId.indexOf('-');
        try {
            return Long.parseLong(dash < 0 ? entryId : entryId.substring(0, dash));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The tag an event's table is counted under. */
    String tag(String table) {
        return of(table).tag;
    }

    private TableMeters of(String table) {
        String name = table == null ? "?" : table;
        TableMeters known = byTable.get(name);
        if (known != null) {
            return known;
        }
        synchronized (byTable) {
            known = byTable.get(name);
            if (known != null) {
                return known;
            }
            TableMeters found;
            if (isCaptured(name) && tagged < MAX_TABLES) {
                found = new TableMeters(name);
                tagged++;
            } else {
                if (isCaptured(name) && !warnedFull) {
                    warnedFull = true;
                    LOG.warn("Freshness of table {}, and of any table after it, is counted as table '{}': {} tables"
                            + " have a tag of their own already", name, OTHER, MAX_TABLES);
                }
                if (other == null) {
                    other = new TableMeters(OTHER);
                }
                found = other;
            }
            if (byTable.size() < MAX_NAMES_REMEMBERED) {
                byTable.put(name, found);
            }
            return found;
        }
    }

    private boolean isCaptured(String table) {
        // "?": an event without a table
        return !"?".equals(table)
                && (captured.isEmpty() || captured.stream().anyMatch(p -> p.matcher(table).matches()));
    }

    private static List<Pattern> patterns(String tables) {
        List<Pattern> patterns = new ArrayList<>();
        for (String entry : tables == null ? new String[0] : tables.split(",")) {
            String regex = entry.trim();
            if (regex.isEmpty()) {
                continue;
            }
            try {
                patterns.add(Pattern.compile(regex, Pattern.CASE_INSENSITIVE));
            } catch (PatternSyntaxException e) {
                patterns.add(Pattern.compile(Pattern.quote(regex), Pattern.CASE_INSENSITIVE));
            }
        }
        return patterns;
    }

    private static Duration[] seconds(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return durations;
    }

    private final class TableMeters {
        final String tag;
        final Timer endToEnd;
        final Timer commitToStream;
        final Timer streamToDeleted;
        final Counter objectiveMissed;

        TableMeters(String tag) {
            this.tag = tag;
            endToEnd = meters.timer("cache_invalidation_end_to_end", "From the change's commit in the binlog to the"
                    + " deletion of its keys, per table", buckets, "table", tag);
            commitToStream = meters.timer("cache_invalidation_commit_to_stream", "The pipeline's share: from the"
                    + " change's commit in the binlog to its stream entry (the entry id's time)", buckets,
                    "table", tag);
            streamToDeleted = meters.timer("cache_invalidation_stream_to_deleted", "The worker's share: from the stream"
                    + " entry (the entry id's time) to the deletion of its keys", buckets, "table", tag);
            objectiveMissed = meters.counter("cache_invalidation_freshness_objective_missed", "Invalidations whose"
                    + " keys were deleted later than worker.freshnessObjectiveMs after the commit", "table", tag);
        }
    }
}
