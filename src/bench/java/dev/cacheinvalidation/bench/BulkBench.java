package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;

/**
 * Bulk changes at {@code -Xmx256m}, each committed while the pipeline is stopped and then caught up:
 * <ol>
 * <li>reference: {@code --rows} changes in transactions of 100 rows (1,000 products updated again and again);</li>
 * <li>one transaction of {@code --rows} rows ({@code UPDATE products ... WHERE id BETWEEN ...});</li>
 * <li>worker outage: with the group's workers stopped, {@code --backlog} changes (transactions of 100) commit
 * while the pipeline runs with {@code stream.maxLen = --bound}; then one worker ({@code -Xmx128m}) starts.</li>
 * </ol>
 * Reports throughput (first entry to last), dead letters, whether any process ran out of memory, the largest heap
 * after a garbage collection (from the application's GC log, {@code -Xlog:gc}) and the peak RSS.
 * <p>
 * Flags: {@code --rows 1000000 --backlog 1500000 --bound 1000000 --skip-reference --skip-transaction --skip-outage}.
 */
public final class BulkBench {

    static final int BULK_FIRST_ID = 2_000_001;
    private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
    private static final String QUIET_WORKER = "-Dlog4j2.configurationFile=classpath:log4j2.properties,"
            + "bench/log4j2-quiet.properties";

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int rows = flags.integer("rows", 1_000_000);
        int backlog = flags.integer("backlog", 1_500_000);
        int bound = flags.integer("bound", 1_000_000);
        TestServers servers = BenchSupport.servers();
        int range = Math.max(rows, Math.min(backlog, 1_000_000));
        long inserting = System.nanoTime();
        ensureBulkProducts(servers, range);
        BenchSupport.ensureProducts(servers, CatchupBench.FIRST_ID, 1000);
        detail("bulk: %,d products for the bulk changes present (%s)", range, seconds(System.nanoTime() - inserting));

        CatchUp reference = null;
        if (!flags.bool("skip-reference")) {
            reference = catchUp(servers, "bulk-reference", rows,
                    () -> CatchupBench.commitBacklog(servers, 1000, Math.max(1, rows / 1000)));
            row("(7) Bulk reference: catch-up of " + num(rows) + " changes in transactions of 100, -Xmx256m",
                    reference.describe(), "", "");
        }
        if (!flags.bool("skip-transaction")) {
            CatchUp huge = catchUp(servers, "bulk-transaction", rows, () -> updateInOneTransaction(servers, rows));
            String versus = "";
            boolean met = huge.complete() && huge.heapAfterGcMaxMb < 200;
            if (reference != null) {
                double ratio = huge.eventsPerSecond() / reference.eventsPerSecond();
                double cpuRatio = huge.eventsPerCpuSecond() / reference.eventsPerCpuSecond();
                versus = String.format(Locale.ROOT, "; %.0f %% of the reference's rate, %.0f %% of its events per"
                        + " CPU-second", ratio * 100, cpuRatio * 100);
                met &= ratio >= 0.8;
            }
            row("(7) Bulk: one transaction of " + num(rows) + " rows, -Xmx256m", huge.describe() + versus
                    + (met ? "" : " **MISSED**"),
                    "every event, 0 dead letters, no OOM, >= 80 % of the reference, heap after GC < 200 MB",
                    reference == null ? "" : num(reference.eventsPerSecond()) + " events/s (reference)");
        }
        if (!flags.bool("skip-outage")) {
            outage(servers, backlog, bound);
        }
    }

    /** Products BULK_FIRST_ID.. for the bulk changes, inserted in one statement from MariaDB's sequence engine. */
    static void ensureBulkProducts(TestServers servers, int count) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("INSERT IGNORE INTO products (id, name, category_id, price) SELECT "
                    + (BULK_FIRST_ID - 1) + " + seq, CONCAT('bulk product ', seq), seq % 50, 1 FROM seq_1_to_" + count);
        }
    }

    static long updateInOneTransaction(TestServers servers, int rows) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            return statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id BETWEEN " + BULK_FIRST_ID
                    + " AND " + (BULK_FIRST_ID + rows - 1));
        }
    }

    interface Backlog {
        long commit() throws Exception;
    }

    record CatchUp(String name, long events, long inStream, long deadLetters, long firstNanos, long doneNanos,
            boolean outOfMemory, long heapAfterGcMaxMb, int collections, long peakRssMb, int scriptRetries,
            double cpuSeconds, String cpu) {

        double eventsPerSecond() {
            return inStream / Math.max(1e-9, (doneNanos - firstNanos) / 1e9);
        }

        /** Events per CPU-second of the pipeline process: comparable when the shared machine's load changes. */
        double eventsPerCpuSecond() {
            return inStream / Math.max(0.01, cpuSeconds);
        }

        boolean complete() {
            return inStream >= events && deadLetters == 0 && !outOfMemory;
        }

        String describe() {
            return String.format(Locale.ROOT, "%s events/s (%s, first entry to last), %s events per CPU-second of the"
                    + " pipeline; %s of %s in the stream, %d dead"
                    + " letters, %d script calls tried again, %s; heap after GC at most %d MB (%d collections), peak RSS %d MB",
                    num(eventsPerSecond()), seconds(doneNanos - firstNanos), num(eventsPerCpuSecond()), num(inStream),
                    num(events), deadLetters,
                    scriptRetries, outOfMemory ? "OutOfMemoryError" : "no OOM", heapAfterGcMaxMb, collections, peakRssMb);
        }
    }

    /**
     * The pipeline runs once to save a position, the backlog commits while it is stopped, then a fresh pipeline
     * process (-Xmx256m) catches up; timed from its first stream entry to the last.
     */
    static CatchUp catchUp(TestServers servers, String name, long expected, Backlog backlog) throws Exception {
        String stream = "bench:" + name + ":" + System.currentTimeMillis();
        String deadLetters = stream + ":dlq";
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve(name + "-data")).toAbsolutePath();
        Map<String, String> props = Map.of("cdc.dataDir", dataDir.toString(), "stream.key", stream, "stream.maxLen", "0",
                "stream.deadLetterKey", deadLetters);
        savePosition(servers, name, dataDir);

        long committing = System.nanoTime();
        long committed = backlog.commit();
        detail("%s: %,d row changes committed in %s (load %s)", name, committed, seconds(System.nanoTime() - committing),
                BenchSupport.loadAverage());

        Path gcLog = BenchSupport.runDir().resolve(name + "-gc.log").toAbsolutePath();
        try (Jedis jedis = servers.redis();
                AppProcess app = BenchSupport.app(name, "pipeline",
                        List.of("-Xmx256m", "-Xlog:gc:file=" + gcLog), props, servers)) {
            // on a loaded machine the start alone can take a minute: the wait for progress begins once it reads
            app.awaitLine("Connected to binlog", Duration.ofSeconds(600));
            BenchSupport.Fill fill = BenchSupport.followFill(jedis, app, stream, deadLetters, expected, 120);
            long first = fill.first();
            long done = fill.done();
            double cpuAtFirst = fill.cpuAtFirst();
            double cpuAtDone = fill.cpuAtDone();
            if (done == 0) {
                done = fill.lastProgress();
                cpuAtDone = app.cpuSeconds();
            }
            long[] heap = heapAfterGc(gcLog);
            CatchUp result = new CatchUp(name, expected, jedis.xlen(stream), jedis.xlen(deadLetters), first, done,
                    app.ranOutOfMemory(), heap[0], (int) heap[1], app.peakRssMb(),
                    app.lines("Trying the batch again").size(), cpuAtDone - cpuAtFirst, app.cpuByThread(6));
            detail("%s: %s; CPU by thread %s (load %s)", name, result.describe(), result.cpu(), BenchSupport.loadAverage());
            jedis.del(stream, deadLetters);
            return result;
        }
    }

    /** First run on a fresh data directory: it saves a position behind one change of its own. */
    private static void savePosition(TestServers servers, String name, Path dataDir) throws Exception {
        String warmup = "bench:" + name + ":warmup";
        try (Jedis jedis = servers.redis();
                AppProcess first = BenchSupport.app(name + "-first", "pipeline", List.of("-Xmx256m"),
                        Map.of("cdc.dataDir", dataDir.toString(), "stream.key", warmup, "stream.maxLen", "0"), servers)) {
            first.awaitLine("Connected to binlog", Duration.ofSeconds(600));
            try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = " + CatchupBench.FIRST_ID);
            }
            long deadline = System.currentTimeMillis() + 60_000;
            while (jedis.xlen(warmup) < 1 && System.currentTimeMillis() < deadline) {
                BenchSupport.sleep(20);
            }
            BenchSupport.sleep(2500);
            jedis.del(warmup);
        }
        if (!Files.exists(dataDir.resolve("offsets.dat"))) {
            throw new IllegalStateException("the first pipeline run saved no offsets in " + dataDir);
        }
    }

    /**
     * Workers stopped while the backlog commits, above the stream's bound: every entry must stay; then a worker
     * drains it, every key is deleted and the stream is trimmed back under its bound.
     */
    static void outage(TestServers servers, int backlog, int bound) throws Exception {
        String name = "bulk-outage";
        String stream = "bench:" + name + ":" + System.currentTimeMillis();
        String deadLetters = stream + ":dlq";
        int distinct = Math.min(backlog, 1_000_000);
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve(name + "-data")).toAbsolutePath();
        Path pipelineGc = BenchSupport.runDir().resolve(name + "-pipeline-gc.log").toAbsolutePath();
        Path workerGc = BenchSupport.runDir().resolve(name + "-worker-gc.log").toAbsolutePath();
        Map<String, String> props = Map.of("cdc.dataDir", dataDir.toString(), "stream.key", stream,
                "stream.maxLen", Integer.toString(bound), "stream.deadLetterKey", deadLetters);
        try (Jedis jedis = servers.redis()) {
            List<String> keys = new ArrayList<>(distinct);
            for (int id = BULK_FIRST_ID; id < BULK_FIRST_ID + distinct; id++) {
                keys.add("product:" + id);
            }
            setKeys(jedis, keys);
            // the workers ran before (their group exists) and are stopped now
            jedis.xgroupCreate(stream, BenchSupport.GROUP, StreamEntryID.XGROUP_LAST_ENTRY, true);
            try (AppProcess pipeline = BenchSupport.app(name + "-pipeline", "pipeline",
                    List.of("-Xmx256m", "-Xlog:gc:file=" + pipelineGc), props, servers)) {
                pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(600));
                long start = System.nanoTime();
                long committed = commitInTransactionsOf100(servers, backlog, distinct);
                long commitDone = System.nanoTime();
                long seen = 0;
                long lastProgress = System.nanoTime();
                while (seen < committed && System.nanoTime() - lastProgress < 120_000_000_000L && pipeline.isAlive()) {
                    long length = jedis.xlen(stream) + jedis.xlen(deadLetters);
                    if (length != seen) {
                        seen = length;
                        lastProgress = System.nanoTime();
                    }
                    BenchSupport.sleep(100);
                }
                long inStream = jedis.xlen(stream);
                long written = System.nanoTime();
                boolean said = !pipeline.lines("above its bound of " + bound).isEmpty();
                detail("%s: %,d changes committed in %s while no worker ran; the stream holds %,d entries %s after the"
                        + " first commit (bound %,d; the pipeline %s it is above its bound)", name, committed,
                        seconds(commitDone - start), inStream, seconds(written - start), bound, said ? "says" : "does NOT say");

                try (AppProcess worker = BenchSupport.app(name + "-worker", "worker",
                        List.of("-Xmx128m", QUIET_WORKER, "-Xlog:gc:file=" + workerGc), Map.of("stream.key", stream,
                                "worker.deadLetterStream", deadLetters), servers)) {
                    long workerStart = System.nanoTime();
                    long drained = 0;
                    lastProgress = System.nanoTime();
                    long lastRead = -1;
                    while (System.nanoTime() - lastProgress < 120_000_000_000L && worker.isAlive()) {
                        StreamProbe.GroupState group = StreamProbe.state(jedis, stream, BenchSupport.GROUP);
                        if (group != null && group.entriesRead() != lastRead) {
                            lastRead = group.entriesRead();
                            lastProgress = System.nanoTime();
                        }
                        if (group != null && group.drained() && group.entriesRead() >= inStream) {
                            drained = System.nanoTime();
                            break;
                        }
                        BenchSupport.sleep(100);
                    }
                    long remaining = existing(jedis, keys);
                    long underBound = 0;
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (System.nanoTime() < deadline) {
                        if (jedis.xlen(stream) <= bound) {
                            underBound = System.nanoTime();
                            break;
                        }
                        BenchSupport.sleep(100);
                    }
                    long[] pipelineHeap = heapAfterGc(pipelineGc);
                    long[] workerHeap = heapAfterGc(workerGc);
                    boolean met = inStream >= committed && drained != 0 && remaining == 0 && underBound != 0
                            && jedis.xlen(deadLetters) == 0 && !pipeline.ranOutOfMemory() && !worker.ranOutOfMemory();
                    row("(8) Bulk: workers stopped while " + num(committed) + " changes commit, stream bound "
                            + num(bound) + ", then one worker", String.format(Locale.ROOT,
                                    "%s of %s in the stream while no worker ran (nothing trimmed: %s); drained in %s"
                                            + " (%s events/s); %d of %d keys left; stream back under its bound %s;"
                                            + " %d dead letters; pipeline %s, heap after GC at most %d MB, peak RSS %d MB;"
                                            + " worker %s, heap after GC at most %d MB, peak RSS %d MB%s",
                                    num(inStream), num(committed), inStream >= committed ? "yes" : "NO",
                                    drained == 0 ? "NOT" : seconds(drained - workerStart),
                                    drained == 0 ? "-" : num(inStream / ((drained - workerStart) / 1e9)), remaining,
                                    keys.size(), underBound == 0 ? "NOT within 30 s" : seconds(underBound - workerStart)
                                            + " after the worker started (XLEN " + num(jedis.xlen(stream)) + ")",
                                    jedis.xlen(deadLetters), pipeline.ranOutOfMemory() ? "OutOfMemoryError" : "no OOM",
                                    pipelineHeap[0], pipeline.peakRssMb(), worker.ranOutOfMemory() ? "OutOfMemoryError"
                                            : "no OOM", workerHeap[0], worker.peakRssMb(), met ? "" : " **MISSED**"),
                            "every key invalidated, the stream back under its bound", "");
                }
            }
            jedis.del(stream, deadLetters);
        }
    }

    /** {@code count} changes in transactions of 100 rows over the first {@code distinct} bulk products. */
    static long commitInTransactionsOf100(TestServers servers, int count, int distinct) throws Exception {
        long changed = 0;
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            for (int done = 0; done < count; done += 100) {
                int from = BULK_FIRST_ID + done % distinct;
                int to = Math.min(from + 99, BULK_FIRST_ID + distinct - 1);
                changed += statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id BETWEEN " + from
                        + " AND " + to);
            }
        }
        return changed;
    }

    private static void setKeys(Jedis jedis, List<String> keys) {
        Pipeline pipeline = jedis.pipelined();
        for (int i = 0; i < keys.size(); i++) {
            pipeline.set(keys.get(i), "cached");
            if (i % 10_000 == 9_999) {
                pipeline.sync();
            }
        }
        pipeline.sync();
    }

    private static long existing(Jedis jedis, List<String> keys) {
        long count = 0;
        for (int i = 0; i < keys.size(); i += 10_000) {
            count += jedis.exists(keys.subList(i, Math.min(keys.size(), i + 10_000)).toArray(String[]::new));
        }
        return count;
    }

    /**
     * The largest heap occupancy right after a collection, in MB, and how many collections the GC log shows. After
     * a young collection the old generation still holds garbage, so this is an upper bound of the live heap.
     */
    static long[] heapAfterGc(Path gcLog) throws IOException {
        long max = 0;
        long collections = 0;
        if (Files.exists(gcLog)) {
            for (String line : Files.readAllLines(gcLog)) {
                Matcher m = GC_LINE.matcher(line);
                // collections that evacuate (young, mixed, full); Remark and Cleanup only report the heap as it is
                if ((line.contains("Pause Young") || line.contains("Pause Full")) && m.find()) {
                    collections++;
                    max = Math.max(max, Long.parseLong(m.group(2)));
                }
            }
        }
        return new long[] { max, collections };
    }
}
