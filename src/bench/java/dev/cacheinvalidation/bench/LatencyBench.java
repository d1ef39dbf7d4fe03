package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.percentile;
import static dev.cacheinvalidation.bench.BenchSupport.row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;

/**
 * Figure 3, end-to-end latency: pipeline ({@code -Xmx256m}) and one worker ({@code -Xmx128m}) running with the
 * default configuration, and a load generator committing a steady rate of product price changes, each on a
 * product of its own: before the change it sets the product's cache key {@code product:<id>}, right after the
 * commit returns it notes the time. A separate connection subscribed to the keyspace notifications of DEL/UNLINK
 * notes when each key goes. Latency = deletion time - commit time. The chart (latency.png) and the raw latencies
 * go to the run directory; {@link BenchReport} copies the chart to bench/results/.
 * <p>
 * Flags: {@code --duration 20 --warmup 90 --rate 5000 --tx-rows 5 --connections 4 --aot} (seconds, row changes per
 * second, row changes per transaction, load generator connections; {@code --aot} starts pipeline and worker from the
 * ahead-of-time cache bench/run.sh made, as scripts/run.sh does). Changes of the warm-up seconds are not
 * counted in the figure but reported apart: on 2 cores the JIT compilers (GraalJS's interpreter is large) take
 * most of a core for the first 30 to 45 s, and the pipeline falls behind and needs until about 60 s to catch up.
 * One MariaDB connection commits a few hundred transactions per second here (an fsync each), hence
 * several connections (group commit) and a few rows per transaction.
 */
public final class LatencyBench {

    static final int FIRST_ID = 2_000_001;

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int warmup = flags.integer("warmup", 90);
        BenchSupport.WriteLoad writes = BenchSupport.WriteLoad.of(flags, 20);
        int duration = writes.duration();
        TestServers servers = BenchSupport.servers();
        Load load = new Load(servers, writes, warmup + duration);
        ensureProducts(servers, load.capacity);

        String stream = "bench:latency:" + System.currentTimeMillis();
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve("latency-data-" + System.currentTimeMillis()));
        Deletions deletions = new Deletions(load.capacity);
        try (Jedis admin = servers.redis()) {
            String previous = admin.configGet("notify-keyspace-events").getOrDefault("notify-keyspace-events", "");
            admin.configSet("notify-keyspace-events", "Eg");
            Thread subscriber = new Thread(() -> {
                try (Jedis jedis = servers.redis()) {
                    jedis.psubscribe(deletions, "__keyevent@*__:del", "__keyevent@*__:unlink");
                }
            }, "keyspace-notifications");
            subscriber.setDaemon(true);
            subscriber.start();
            if (!deletions.subscribed.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no keyspace notification subscription");
            }
            // --aot: both started from the ahead-of-time cache, as scripts/run.sh and the image start them
            List<String> aot = flags.bool("aot") ? BenchSupport.aotOptions() : List.of();
            try (AppProcess pipeline = BenchSupport.app("latency-pipeline", "pipeline",
                    concat(List.of("-Xmx256m"), aot), Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(),
                            "stream.key", stream, "stream.deadLetterKey", stream + ":dlq"), servers);
                    AppProcess worker = BenchSupport.app("latency-worker", "worker",
                            concat(List.of("-Xmx128m"), aot),
                            Map.of("stream.key", stream, "worker.consumerName", "bench-latency"), servers)) {
                pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(120));
                worker.awaitLine("reading stream", Duration.ofSeconds(120));

                detail("latency: %d s warm-up + %d s at %,d row changes/s, %d per transaction, %d connections (load %s)",
                        warmup, duration, writes.rate(), writes.txRows(), writes.connections(),
                        BenchSupport.loadAverage());
                double[] cpuAtStart = { pipeline.cpuSeconds(), worker.cpuSeconds() };
                Thread generator = new Thread(load, "load");
                generator.start();
                // every 5 s: committed, in the stream, read by the worker, deleted (which stage falls behind)
                List<String> progress = new ArrayList<>();
                long next = System.nanoTime();
                while (generator.isAlive()) {
                    next += 5_000_000_000L;
                    BenchSupport.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                    StreamProbe.GroupState group = StreamProbe.state(admin, stream, BenchSupport.GROUP);
                    progress.add(String.format(Locale.ROOT, "%,d/%,d/%,d/%,d", load.committed.get(), admin.xlen(stream),
                            group == null ? 0 : group.entriesRead(), deletions.count()));
                }
                generator.join();
                if (load.error != null) {
                    throw load.error;
                }
                double[] cpuAtEnd = { pipeline.cpuSeconds(), worker.cpuSeconds() };
                // the last deletions: until all arrived, or 30 s without progress
                int last = -1;
                long stalledSince = System.nanoTime();
                while (deletions.count() < load.committed.get() && System.nanoTime() - stalledSince < 30_000_000_000L) {
                    if (deletions.count() != last) {
                        last = deletions.count();
                        stalledSince = System.nanoTime();
                    }
                    BenchSupport.sleep(100);
                }
                deletions.punsubscribe();
                subscriber.join(5000);

                long measuredFrom = load.startNanos + TimeUnit.SECONDS.toNanos(warmup);
                long lastThirdFrom = measuredFrom + TimeUnit.SECONDS.toNanos(duration) * 2 / 3;
                long expected = 0;
                long[] latencies = new long[load.capacity];
                long[] lastThird = new long[load.capacity];
                long[] warming = new long[load.capacity];
                int n = 0;
                int m = 0;
                int w = 0;
                for (int i = 0; i < load.capacity; i++) {
                    if (load.commitTimes[i] != 0 && load.commitTimes[i] < measuredFrom && deletions.times[i] != 0) {
                        warming[w++] = Math.max(0, deletions.times[i] - load.commitTimes[i]);
                    }
                    if (load.commitTimes[i] != 0 && load.commitTimes[i] >= measuredFrom) {
                        expected++;
                        if (deletions.times[i] != 0) {
                            latencies[n++] = Math.max(0, deletions.times[i] - load.commitTimes[i]);
                            if (load.commitTimes[i] >= lastThirdFrom) {
                                lastThird[m++] = latencies[n - 1];
                            }
                        }
                    }
                }
                long[] sorted = BenchSupport.sorted(Arrays.copyOf(latencies, n));
                long[] tail = BenchSupport.sorted(Arrays.copyOf(lastThird, m));
                long p50 = percentile(sorted, 50);
                long p90 = percentile(sorted, 90);
                long p99 = percentile(sorted, 99);
                long max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
                long missing = expected - sorted.length;
                boolean met = sorted.length > 0 && p50 <= 50_000_000L && p99 <= 250_000_000L && missing == 0;
                detail("latency: %,d changes measured (%,.0f/s committed), %,d missing; p50 %.1f ms, p90 %.1f ms,"
                        + " p99 %.1f ms, max %.1f ms; slowest commit %.1f ms", expected, expected / (double) duration,
                        missing, p50 / 1e6, p90 / 1e6, p99 / 1e6, max / 1e6, load.slowestCommitNanos / 1e6);
                detail("latency: changes of the last third (%d s, once the JIT has warmed up): p50 %.1f ms, p90 %.1f ms,"
                        + " p99 %.1f ms, max %.1f ms (%,d changes)", duration / 3, percentile(tail, 50) / 1e6,
                        percentile(tail, 90) / 1e6, percentile(tail, 99) / 1e6,
                        tail.length == 0 ? 0 : tail[tail.length - 1] / 1e6, tail.length);
                long[] cold = BenchSupport.sorted(Arrays.copyOf(warming, w));
                detail("latency: changes of the warm-up (the first %d s of load, not counted): p50 %.1f ms,"
                        + " p99 %.1f ms, max %.1f ms (%,d changes)", warmup, percentile(cold, 50) / 1e6,
                        percentile(cold, 99) / 1e6, cold.length == 0 ? 0 : cold[cold.length - 1] / 1e6, cold.length);
                detail("latency: every 5 s, committed/in the stream/read by the worker/deleted: %s", String.join(", ", progress));
                detail("latency: CPU during the load (%d s): pipeline %.1f s (%.2f cores), worker %.1f s (%.2f cores)",
                        warmup + duration, cpuAtEnd[0] - cpuAtStart[0], (cpuAtEnd[0] - cpuAtStart[0]) / (warmup + duration),
                        cpuAtEnd[1] - cpuAtStart[1], (cpuAtEnd[1] - cpuAtStart[1]) / (warmup + duration));
                detail("latency: pipeline CPU by thread: %s", pipeline.cpuByThread(6));
                detail("latency: worker CPU by thread: %s", worker.cpuByThread(4));
                long deadLettered = admin.xlen(stream + ":dlq");
                if (deadLettered > 0) {
                    detail("latency: the pipeline dead-lettered %,d events (%s)", deadLettered,
                            CatchupBench.firstLine(pipeline, "Dead-letter"));
                }
                // the chart and the raw latencies (ms, ascending) go to the run directory; the report copies the chart
                Files.write(BenchSupport.runDir().resolve("latencies-ms.txt"), Arrays.stream(sorted)
                        .mapToObj(v -> String.format(Locale.ROOT, "%.3f", v / 1e6)).toList());
                LatencyChart.write(sorted, BenchSupport.runDir().resolve("latency.png"), String.format(Locale.ROOT,
                        "End-to-end latency, %,d changes at %,d/s (%d per tx, %d connections), %d s", sorted.length,
                        writes.rate(), writes.txRows(), writes.connections(), duration));
                row("(3) End-to-end latency, " + num(writes.rate()) + " changes/s, " + duration + " s",
                        String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%,d changes, %,d"
                                + " missing)%s", p50 / 1e6, p90 / 1e6, p99 / 1e6, max / 1e6, sorted.length, missing,
                                met ? "" : " **MISSED**"),
                        "p50 <= 50 ms, p99 <= 250 ms", "");
                row("(4) Memory, latency run", "pipeline -Xmx256m: " + pipeline.memorySummary() + "; worker -Xmx128m: "
                        + worker.memorySummary(), "no OOM, figures met", "");
            } finally {
                admin.configSet("notify-keyspace-events", previous);
                admin.del(stream, stream + ":dlq");
            }
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** Products FIRST_ID.. FIRST_ID+count-1, committed before the pipeline starts (INSERTs only when missing). */
    static void ensureProducts(TestServers servers, int count) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement();
                ResultSet rs = statement.executeQuery("SELECT COUNT(*) FROM products WHERE id BETWEEN " + FIRST_ID
                        + " AND " + (FIRST_ID + count - 1))) {
            rs.next();
            if (rs.getInt(1) == count) {
                return;
            }
        }
        BenchSupport.ensureProducts(servers, FIRST_ID, count);
    }

    /** Deletion time (nanoTime) of each product key, by index (id - FIRST_ID), noted on the subscriber's thread. */
    static final class Deletions extends JedisPubSub {
        final CountDownLatch subscribed = new CountDownLatch(2);
        final long[] times;
        private final AtomicInteger count = new AtomicInteger();

        Deletions(int capacity) {
            times = new long[capacity];
        }

        @Override
        public void onPSubscribe(String pattern, int subscribedChannels) {
            subscribed.countDown();
        }

        @Override
        public void onPMessage(String pattern, String channel, String key) {
            long now = System.nanoTime();
            if (!key.startsWith("product:") || key.indexOf(':', 8) >= 0) {
                return;
            }
            int index = Integer.parseInt(key.substring(8)) - FIRST_ID;
            if (index >= 0 && index < times.length && times[index] == 0) {
                times[index] = now;
                count.incrementAndGet();
            }
        }

        int count() {
            return count.get();
        }
    }

    /**
     * Commits {@code rate} product price changes per second, {@code txRows} rows per transaction, over
     * {@code connections} connections; change i (in commit order) is on product FIRST_ID + i.
     */
    static final class Load implements Runnable {
        final int capacity;
        final long[] commitTimes;
        final AtomicInteger committed = new AtomicInteger();
        volatile long startNanos;
        volatile long slowestCommitNanos;
        volatile Exception error;
        private final TestServers servers;
        private final int rate;
        private final int txRows;
        private final int connections;
        private final int seconds;
        private final AtomicInteger nextId = new AtomicInteger();

        Load(TestServers servers, BenchSupport.WriteLoad writes, int seconds) {
            this.servers = servers;
            this.rate = writes.rate();
            this.txRows = writes.txRows();
            this.connections = writes.connections();
            this.seconds = seconds;
            this.capacity = rate * seconds + 10_000;
            this.commitTimes = new long[capacity];
        }

        @Override
        public void run() {
            startNanos = System.nanoTime() + 200_000_000L;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < connections; t++) {
                Thread thread = new Thread(this::generate, "load-" + t);
                threads.add(thread);
                thread.start();
            }
            try {
                for (Thread thread : threads) {
                    thread.join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** One connection: its share of the transactions, each at its due time (or at once when behind). */
        private void generate() {
            double txPerSecond = (double) rate / txRows / connections;
            long period = (long) (1e9 / txPerSecond);
            long end = startNanos + TimeUnit.SECONDS.toNanos(seconds);
            String marks = String.join(",", Collections.nCopies(txRows, "?"));
            try (Connection db = servers.admin(); Jedis redis = servers.redis();
                    PreparedStatement update = db.prepareStatement("UPDATE products SET price = price + 1 WHERE id IN ("
                            + marks + ")")) {
                db.setAutoCommit(false);
                for (long due = startNanos + (long) (Math.random() * period); due < end; due += period) {
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    int first = nextId.getAndAdd(txRows);
                    if (first + txRows > capacity) {
                        break;
                    }
                    Pipeline p = redis.pipelined();
                    for (int i = 0; i < txRows; i++) {
                        p.set("product:" + (FIRST_ID + first + i), "cached");
                        update.setInt(i + 1, FIRST_ID + first + i);
                    }
                    p.sync();
                    long begin = System.nanoTime();
                    update.executeUpdate();
                    db.commit();
                    long now = System.nanoTime();
                    slowestCommitNanos = Math.max(slowestCommitNanos, now - begin);
                    for (int i = 0; i < txRows; i++) {
                        commitTimes[first + i] = now;
                    }
                    committed.addAndGet(txRows);
                }
            } catch (Exception e) {
                error = e;
            }
        }
    }
}
