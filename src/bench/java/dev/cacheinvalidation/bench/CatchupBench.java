package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;

/**
 * Figure 1, catch-up throughput: with the pipeline stopped (it ran once, so it has a binlog position), commit a
 * backlog of row changes (transactions of 100 UPDATEs, 1,000 products each updated 100 times), then start
 * {@code java -Xmx256m -jar ... pipeline} and time until the stream holds every change (XLEN polled every 20 ms).
 * Also gives figure 5 (startup with a saved position).
 * <p>
 * Then, for comparison, the same process (now warm) gets {@code --warm-rounds} more backlogs while it runs.
 * <p>
 * Flags: {@code --runs 2 --rows 1000 --rounds 100 --warm-rounds 1}; {@code --histogram} notes the live heap (a
 * class histogram) half way through.
 */
public final class CatchupBench {

    static final int FIRST_ID = 1_000_001;

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        BenchSupport.Backlog backlog = BenchSupport.Backlog.of(flags);
        int warmRounds = flags.integer("warm-rounds", 1);
        TestServers servers = BenchSupport.servers();
        BenchSupport.ensureProducts(servers, FIRST_ID, backlog.rows());

        List<String> rates = new ArrayList<>();
        List<String> fromStart = new ArrayList<>();
        List<String> memory = new ArrayList<>();
        boolean met = true;
        int incomplete = 0;
        for (int run = 1; run <= runs; run++) {
            Result r = runOnce(servers, run, backlog.rows(), backlog.rounds(), warmRounds, flags.bool("histogram"));
            rates.add(num(r.eventsPerSecond()));
            fromStart.add(seconds(r.doneNanos - r.startNanos()));
            memory.add(r.memory);
            met &= r.eventsPerSecond() >= 30_000 && r.complete;
            incomplete += r.complete ? 0 : 1;
        }
        long events = backlog.changes();
        row("(1) Catch-up, " + num(events) + " changes, tx of 100",
                String.join(" / ", rates) + " events/s (first entry to last); " + String.join(" / ", fromStart)
                        + " from process start" + (incomplete > 0 ? "; " + incomplete + " run(s) INCOMPLETE (see details)" : "")
                        + (met ? "" : " **MISSED**"),
                ">= 30,000 events/s", "Debezium Server 3.6 MariaDB->Redis, batch 500: ~23,000 events/s");
        row("(4) Memory, catch-up pipeline -Xmx256m", String.join(" / ", memory), "no OOM, figures met", "");
    }

    record Result(long startNanos, long connectedNanos, long firstNanos, long doneNanos, long events, boolean complete,
            String memory) {
        double eventsPerSecond() {
            return events / ((doneNanos - firstNanos) / 1e9);
        }
    }

    static Result runOnce(TestServers servers, int run, int rows, int rounds, int warmRounds, boolean histogramAtHalfWay)
            throws Exception {
        String tag = "bench:catchup:" + System.currentTimeMillis();
        String stream = tag;
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve("catchup-" + run + "-data"));
        String deadLetters = tag + ":dlq";
        Map<String, String> props = Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(),
                "stream.key", stream, "stream.maxLen", "0", "stream.deadLetterKey", deadLetters);

        // 1. the pipeline runs once on a fresh data dir and saves a position behind one change of its own
        try (Jedis jedis = servers.redis();
                AppProcess first = BenchSupport.app("catchup-" + run + "-first", "pipeline",
                        List.of("-Xmx256m"), Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(),
                                "stream.key", tag + ":warmup", "stream.maxLen", "0"), servers)) {
            first.awaitLine("Connected to binlog", Duration.ofSeconds(120));
            try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = " + FIRST_ID);
            }
            long deadline = System.currentTimeMillis() + 60_000;
            while (jedis.xlen(tag + ":warmup") < 1 && System.currentTimeMillis() < deadline) {
                BenchSupport.sleep(20);
            }
            // offsets are flushed every cdc.offsetFlushIntervalMs (1 s)
            BenchSupport.sleep(2500);
        }
        if (!Files.exists(dataDir.resolve("offsets.dat"))) {
            throw new IllegalStateException("the first pipeline run saved no offsets in " + dataDir);
        }

        // 2. the backlog, committed while the pipeline is stopped
        long backlogStart = System.nanoTime();
        long events = commitBacklog(servers, rows, rounds);
        detail("catch-up run %d: backlog of %,d row changes committed in %s (load %s)", run, events,
                seconds(System.nanoTime() - backlogStart), BenchSupport.loadAverage());

        // 3. the pipeline catches up
        try (Jedis jedis = servers.redis();
                AppProcess app = BenchSupport.app("catchup-" + run, "pipeline", List.of("-Xmx256m"), props, servers)) {
            // on a busy machine the start alone can take longer than the 30 s without progress that end the wait
            app.awaitLine("Connected to binlog", Duration.ofSeconds(300));
            // until every change is in the stream (or dead-lettered), or nothing moved for 30 s
            AtomicBoolean histogram = new AtomicBoolean(histogramAtHalfWay);
            BenchSupport.Fill fill = BenchSupport.followFill(jedis, app, stream, deadLetters, events, 30, length -> {
                if (length >= events / 2 && histogram.getAndSet(false)) {
                    detail("catch-up run %d: heap at half way (jcmd GC.class_histogram, top 6): %s", run,
                            BenchSupport.heapHistogram(app, 6));
                }
            });
            long first = fill.first();
            long done = fill.done();
            double cpuAtFirst = fill.cpuAtFirst();
            double cpuAtDone = fill.cpuAtDone();
            long deadLettered = jedis.xlen(deadLetters);
            detail("catch-up run %d: pipeline CPU by thread since process start: %s", run, app.cpuByThread(8));
            long connected = app.awaitLine("Connected to binlog", Duration.ofSeconds(1));
            String memory = app.memorySummary();
            boolean complete = done != 0 && deadLettered == 0;
            if (done == 0) {
                done = fill.lastProgress();
            }
            Result r = new Result(app.startNanos(), connected, first, done, events, complete, memory);
            detail("catch-up run %d: %s events/s from first entry (%s), %s events/s from 'Connected to binlog' (%s),"
                    + " %s from process start; startup to 'Connected to binlog' %s; pipeline CPU %.1f s over the"
                    + " catch-up (%s events per CPU-second, %.2f cores); %s%s (load %s)", run,
                    num(r.eventsPerSecond()), seconds(done - first), num(events / ((done - connected) / 1e9)),
                    seconds(done - connected), seconds(done - app.startNanos()), seconds(connected - app.startNanos()),
                    cpuAtDone - cpuAtFirst, num(events / Math.max(0.01, cpuAtDone - cpuAtFirst)),
                    (cpuAtDone - cpuAtFirst) / Math.max(1e-9, (done - first) / 1e9), memory, complete ? "" : "; INCOMPLETE: the stream holds " + jedis.xlen(stream) + ", the dead-letter"
                            + " stream " + deadLettered + (deadLettered > 0 ? " (" + firstLine(app, "Dead-letter") + ")" : ""),
                    BenchSupport.loadAverage());
            for (int w = 1; complete && w <= warmRounds; w++) {
                warm(servers, jedis, app, run, rows, rounds, stream, deadLetters, (w + 1) * events);
            }
            jedis.del(stream, tag + ":warmup", deadLetters);
            return r;
        }
    }

    /**
     * For comparison, not a figure: the same process, now warm, gets a second backlog committed while it runs; the
     * rate counts from the first commit to the last entry, so it cannot exceed the commit rate.
     */
    static void warm(TestServers servers, Jedis jedis, AppProcess app, int run, int rows, int rounds,
            String stream, String deadLetters, long expected) throws Exception {
        double cpuBefore = app.cpuSeconds();
        long start = System.nanoTime();
        long events = commitBacklog(servers, rows, rounds);
        long committed = System.nanoTime();
        long done = 0;
        long lastProgress = System.nanoTime();
        long seen = 0;
        while (System.nanoTime() - lastProgress < 30_000_000_000L && app.isAlive()) {
            long length = jedis.xlen(stream) + jedis.xlen(deadLetters);
            if (length != seen) {
                seen = length;
                lastProgress = System.nanoTime();
            }
            if (length >= expected) {
                done = System.nanoTime();
                break;
            }
            BenchSupport.sleep(20);
        }
        double cpu = app.cpuSeconds() - cpuBefore;
        detail("catch-up run %d, same process when warm (second backlog committed while it runs, commits took %s): %s",
                run, seconds(committed - start), done == 0 ? "INCOMPLETE"
                        : String.format(java.util.Locale.ROOT, "%s events/s from first commit to last entry; CPU %.1f s"
                                + " (%s events per CPU-second); dead-lettered so far %d", num(events / ((done - start) / 1e9)),
                                cpu, num(events / Math.max(0.01, cpu)), jedis.xlen(deadLetters)));
        detail("catch-up run %d: pipeline CPU by thread since process start: %s", run, app.cpuByThread(6));
    }

    static String firstLine(AppProcess app, String fragment) {
        return app.lines(fragment).stream().findFirst().orElse("").replaceFirst("^\\S+ ", "");
    }

    /** Transactions of 100 row changes: rounds x (rows / 100) multi-row UPDATEs, each with a new price. */
    static long commitBacklog(TestServers servers, int rows, int rounds) throws Exception {
        try (Connection db = servers.admin()) {
            double base;
            try (Statement statement = db.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT COALESCE(MAX(price), 0) FROM products WHERE id BETWEEN "
                            + FIRST_ID + " AND " + (FIRST_ID + rows - 1))) {
                rs.next();
                base = Math.floor(rs.getDouble(1)) + 1;
            }
            db.setAutoCommit(false);
            long changed = 0;
            try (PreparedStatement update = db.prepareStatement("UPDATE products SET price = ? WHERE id BETWEEN ? AND ?")) {
                for (int round = 0; round < rounds; round++) {
                    for (int block = 0; block < rows; block += 100) {
                        update.setDouble(1, base + round);
                        update.setInt(2, FIRST_ID + block);
                        update.setInt(3, FIRST_ID + Math.min(rows, block + 100) - 1);
                        changed += update.executeUpdate();
                        db.commit();
                    }
                }
            }
            if (changed != (long) rows * rounds) {
                throw new IllegalStateException("backlog changed " + changed + " rows, expected " + rows * rounds);
            }
            return changed;
        }
    }
}
