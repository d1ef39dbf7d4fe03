package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;

/**
 * Figure 12, CPU per change at a steady rate against the reference, in the same run: the pipeline (started as
 * {@code scripts/run.sh} starts it: with the ahead-of-time cache when bench/run.sh made one, script included) and
 * Debezium Server 3.6 (Redis sink, no script) read the same binlog side by side while the load generator of
 * figure 3 commits {@code --rate} changes per second in transactions of {@code --tx-rows} for {@code --duration}
 * seconds. Each one's process CPU (user + system, /proc/PID/stat) per 1,000 changes, from process start to its last
 * entry (start-up included) and from the first commit on (start-up excluded), and how far behind each was when the
 * load ended.
 * <p>
 * Flags: {@code --runs 2 --duration 60 --rate 5000 --tx-rows 5 --connections 4}.
 */
public final class CpuPerChangeBench {

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        BenchSupport.WriteLoad writes = BenchSupport.WriteLoad.of(flags, 60);
        TestServers servers = BenchSupport.servers();
        DebeziumServerReference reference = DebeziumServerReference.installed(servers);
        LatencyBench.ensureProducts(servers, writes.rate() * writes.duration() + 10_000);

        List<String> included = new ArrayList<>();
        List<String> excluded = new ArrayList<>();
        boolean met = true;
        for (int run = 1; run <= runs; run++) {
            String stream = "bench:cpu:" + run + ":" + System.currentTimeMillis();
            String prefix = "dbzcpu" + run + "x" + System.currentTimeMillis();
            String referenceStream = DebeziumServerReference.stream(prefix, "app.products");
            Path dir = BenchSupport.runDir();
            List<String> options = new ArrayList<>(List.of("-Xmx256m"));
            options.addAll(BenchSupport.aotOptions());
            try (Jedis jedis = servers.redis();
                    AppProcess pipeline = BenchSupport.app("cpu-" + run + "-pipeline", "pipeline", options,
                            Map.of("cdc.dataDir", dir.resolve("cpu-" + run + "-pipeline-data").toAbsolutePath().toString(),
                                    "stream.key", stream, "stream.maxLen", "0", "stream.deadLetterKey", stream + ":dlq"),
                            servers);
                    AppProcess dbz = reference.start("cpu-" + run + "-reference", dir.resolve("cpu-" + run
                            + "-reference-work"), dir.resolve("cpu-" + run + "-reference-data"), prefix)) {
                pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(180));
                dbz.awaitLine("Connected to binlog", Duration.ofSeconds(180));
                LatencyBench.Load load = new LatencyBench.Load(servers, writes, writes.duration());
                double[] cpuAtLoad = { pipeline.cpuSeconds(), dbz.cpuSeconds() };
                Thread generator = new Thread(load, "load");
                generator.start();
                generator.join();
                if (load.error != null) {
                    throw load.error;
                }
                long loadEnd = System.nanoTime();
                long changes = load.committed.get();
                Result[] results = follow(jedis, List.of(pipeline, dbz), List.of(stream, referenceStream), changes,
                        loadEnd, cpuAtLoad);
                Result own = results[0];
                Result ref = results[1];
                double achieved = changes / ((loadEnd - load.startNanos) / 1e9);
                detail("cpu run %d: %,d changes committed in %s, %,.0f/s against the %,d/s asked for (%d per tx, %d"
                        + " connections; below the rate when the machine cannot commit faster) (load %s)", run, changes,
                        seconds(loadEnd - load.startNanos), achieved, writes.rate(), writes.txRows(), writes.connections(),
                        BenchSupport.loadAverage());
                detail("cpu run %d: pipeline %s; %s", run, own.describe(changes), pipeline.memorySummary());
                detail("cpu run %d: %s %s; %s", run, "Debezium Server", ref.describe(changes), dbz.memorySummary());
                included.add(String.format(Locale.ROOT, "%.3f s against %.3f s: %.2fx", own.total * 1000 / changes,
                        ref.total * 1000 / changes, own.total / ref.total));
                excluded.add(String.format(Locale.ROOT, "%.3f s against %.3f s: %.2fx", own.steady * 1000 / changes,
                        ref.steady * 1000 / changes, own.steady / ref.steady));
                met &= own.total <= ref.total && own.complete && ref.complete;
                jedis.del(stream, referenceStream);
            }
        }
        String what = String.format(Locale.ROOT, "%,d changes/s, tx of %d, %d s", writes.rate(), writes.txRows(),
                writes.duration());
        row("(12) CPU per 1,000 changes, " + what + ", start-up included", String.join(" / ", included)
                + (met ? "" : " **MISSED**"), "<= Debezium Server's", "Debezium Server 3.6 in the same run, side by side");
        row("(12) CPU per 1,000 changes, " + what + ", start-up excluded", String.join(" / ", excluded), "",
                "Debezium Server 3.6 in the same run, side by side");
    }

    /** CPU seconds from process start and from the first commit to the last entry, and the lag at the load's end. */
    record Result(double total, double steady, long behindNanos, boolean complete) {
        String describe(long changes) {
            return String.format(Locale.ROOT, "CPU %.1f s from process start (%.3f s per 1,000 changes), %.1f s from the"
                    + " first commit (%.3f s per 1,000); last entry %s after the last commit%s", total,
                    total * 1000 / changes, steady, steady * 1000 / changes, seconds(behindNanos),
                    complete ? "" : ", INCOMPLETE");
        }
    }

    /** Follows the streams side by side: each one's time and CPU when it holds every change (30 s stall limit). */
    private static Result[] follow(Jedis jedis, List<AppProcess> apps, List<String> streams, long changes,
            long loadEnd, double[] cpuAtLoad) {
        Result[] results = new Result[apps.size()];
        long lastProgress = System.nanoTime();
        long[] seen = new long[apps.size()];
        int open = apps.size();
        while (open > 0 && System.nanoTime() - lastProgress < 30_000_000_000L) {
            for (int i = 0; i < apps.size(); i++) {
                if (results[i] != null) {
                    continue;
                }
                long length = jedis.xlen(streams.get(i));
                long now = System.nanoTime();
                if (length != seen[i]) {
                    seen[i] = length;
                    lastProgress = now;
                }
                if (length >= changes || !apps.get(i).isAlive()) {
                    double cpu = apps.get(i).cpuSeconds();
                    results[i] = new Result(cpu, cpu - cpuAtLoad[i], Math.max(0, now - loadEnd), length >= changes);
                    open--;
                }
            }
            BenchSupport.sleep(20);
        }
        for (int i = 0; i < apps.size(); i++) {
            if (results[i] == null) {
                double cpu = apps.get(i).cpuSeconds();
                results[i] = new Result(cpu, cpu - cpuAtLoad[i], System.nanoTime() - loadEnd, false);
            }
        }
        return results;
    }
}
