package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;

/**
 * Figure 11, catch-up from process start against the reference, in the same run: each contender (the pipeline with
 * the ahead-of-time cache as {@code scripts/run.sh} and the image start it, the pipeline as plain {@code java -jar},
 * and Debezium Server 3.6 with its Redis sink) first saves a binlog position and stops; then one backlog (100,000
 * changes in transactions of 100 UPDATEs, as figure 1) is committed while all are stopped, and each in turn starts
 * and reads it, from its own position, until its stream holds every change. The order of the contenders rotates
 * from run to run. Reported: seconds from process start to the last entry, and the reference's time over each
 * pipeline's (above 1: faster than Debezium Server).
 * <p>
 * Flags: {@code --runs 2 --rows 1000 --rounds 100}.
 */
public final class CatchupReferenceBench {

    private static final String REFERENCE = "Debezium Server 3.6";
    private static final String PIPELINE_AOT = "pipeline, AOT cache";
    private static final String PIPELINE_PLAIN = "pipeline, java -jar";

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        BenchSupport.Backlog backlog = BenchSupport.Backlog.of(flags);
        TestServers servers = BenchSupport.servers();
        DebeziumServerReference reference = DebeziumServerReference.installed(servers);
        BenchSupport.ensureProducts(servers, CatchupBench.FIRST_ID, backlog.rows());

        List<String> contenders = new ArrayList<>(List.of(PIPELINE_AOT, PIPELINE_PLAIN, REFERENCE));
        if (BenchSupport.aotOptions().isEmpty()) {
            contenders.remove(PIPELINE_AOT);
        }
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        contenders.forEach(c -> seconds.put(c, new ArrayList<>()));
        for (int run = 1; run <= runs; run++) {
            String tag = "bench:reference:" + run + ":" + System.currentTimeMillis();
            Map<String, Contender> prepared = new LinkedHashMap<>();
            for (String name : contenders) {
                Contender contender = new Contender(name, run, tag, reference, servers);
                contender.savePosition();
                prepared.put(name, contender);
            }
            // the changes that saved the later contenders' positions are in the earlier ones' backlog
            int later = contenders.size();
            for (Contender contender : prepared.values()) {
                contender.extra = --later;
            }
            long committing = System.nanoTime();
            long events = CatchupBench.commitBacklog(servers, backlog.rows(), backlog.rounds());
            detail("reference run %d: backlog of %,d row changes committed in %s with every contender stopped (load %s)",
                    run, events, seconds(System.nanoTime() - committing), BenchSupport.loadAverage());
            List<String> order = new ArrayList<>(contenders);
            java.util.Collections.rotate(order, -(run - 1));
            for (String name : order) {
                double s = prepared.get(name).catchUp(events);
                seconds.get(name).add(s);
            }
        }
        List<Double> ref = seconds.get(REFERENCE);
        for (String name : contenders) {
            if (name.equals(REFERENCE)) {
                continue;
            }
            List<Double> own = seconds.get(name);
            List<String> cells = new ArrayList<>();
            boolean met = true;
            for (int i = 0; i < own.size(); i++) {
                double ratio = ref.get(i) / own.get(i);
                met &= ratio >= 1.3;
                cells.add(String.format(Locale.ROOT, "%.1f s against %.1f s: %.2fx", own.get(i), ref.get(i), ratio));
            }
            row("(11) Catch-up from process start, " + BenchSupport.num(backlog.changes()) + " changes, tx of 100, "
                    + name, String.join(" / ", cells) + (met ? "" : " **MISSED**"), ">= 1.3x " + REFERENCE,
                    REFERENCE + " in the same run (MariaDB connector, Redis sink, no script)");
        }
    }

    /** One contender of a run: its data directory, stream and process. */
    private static final class Contender {
        private final String name;
        private final String label;
        private final Path dataDir;
        private final String prefix;
        private final String stream;
        private final DebeziumServerReference reference;
        private final TestServers servers;
        /** Changes of the products table after its position other than the backlog's. */
        private long extra;

        Contender(String name, int run, String tag, DebeziumServerReference reference, TestServers servers)
                throws Exception {
            this.name = name;
            this.label = "reference-" + run + "-" + name.replaceAll("[^a-zA-Z]+", "-").replaceAll("-$", "").toLowerCase(Locale.ROOT);
            this.dataDir = Files.createDirectories(BenchSupport.runDir().resolve(label + "-data"));
            this.reference = reference;
            this.servers = servers;
            this.prefix = "dbz" + run + "x" + System.currentTimeMillis();
            this.stream = isReference() ? DebeziumServerReference.stream(prefix, "app.products") : tag + ":" + label;
        }

        boolean isReference() {
            return name.equals(REFERENCE);
        }

        AppProcess start(String suffix) throws Exception {
            if (isReference()) {
                return reference.start(label + suffix, BenchSupport.runDir().resolve(label + "-work"), dataDir, prefix);
            }
            List<String> options = new ArrayList<>(List.of("-Xmx256m"));
            if (name.equals(PIPELINE_AOT)) {
                options.addAll(BenchSupport.aotOptions());
            }
            return BenchSupport.app(label + suffix, "pipeline", options, Map.of("cdc.dataDir",
                    dataDir.toAbsolutePath().toString(), "stream.key", stream, "stream.maxLen", "0",
                    "stream.deadLetterKey", stream + ":dlq"), servers);
        }

        /** Runs once on a fresh data directory until one change of its own is in its stream, then stops. */
        void savePosition() throws Exception {
            try (Jedis jedis = servers.redis(); AppProcess app = start("-position")) {
                app.awaitLine("Connected to binlog", Duration.ofSeconds(180));
                try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                    statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = " + CatchupBench.FIRST_ID);
                }
                long deadline = System.currentTimeMillis() + 60_000;
                while (jedis.xlen(stream) < 1 && System.currentTimeMillis() < deadline) {
                    BenchSupport.sleep(20);
                }
                // positions are saved every second (offset.flush.interval.ms, cdc.offsetFlushIntervalMs)
                BenchSupport.sleep(2500);
                // the catch-up then counts from an empty stream
                jedis.del(stream);
            }
        }

        /** Starts, reads the backlog until its stream holds every change, stops; seconds from process start. */
        double catchUp(long backlog) throws Exception {
            long events = backlog + extra;
            try (Jedis jedis = servers.redis(); AppProcess app = start("")) {
                BenchSupport.Fill fill = BenchSupport.followFill(jedis, app, stream, stream + ":dlq", events, 60);
                long connected = app.awaitLine("Connected to binlog", Duration.ofSeconds(1));
                if (fill.done() == 0) {
                    throw new IllegalStateException(name + " stopped at " + jedis.xlen(stream) + " of " + (events)
                            + " entries; see " + app.name() + ".log in the run directory");
                }
                double total = (fill.done() - app.startNanos()) / 1e9;
                detail("reference: %s read %,d changes in %.1f s from process start: binlog read after %s, first entry"
                        + " after %s, %s from first entry to last; CPU %.1f s; %s (load %s)", name, events, total,
                        seconds(connected - app.startNanos()), seconds(fill.first() - app.startNanos()),
                        seconds(fill.done() - fill.first()), fill.cpuAtDone(), app.memorySummary(),
                        BenchSupport.loadAverage());
                // the compiler and GC threads too, which a profiler of Java code does not see
                detail("reference: %s CPU by thread: %s", name, app.cpuByThread(8));
                jedis.del(stream);
                return total;
            }
        }
    }
}
