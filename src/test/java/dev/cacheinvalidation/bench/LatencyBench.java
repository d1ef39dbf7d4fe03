package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.percentile;
import static dev.cacheinvalidation.bench.BenchSupport.row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;

/**
 * Figure 3, end-to-end latency: pipeline ({@code -Xmx256m}) and one worker ({@code -Xmx128m}) running with the
 * default configuration, a load generator committing a steady rate of product price changes; before each change
 * it sets the product's cache key {@code product:<id>}, right after the commit returns it notes the time. A
 * separate connection subscribed to the keyspace notifications of DEL/UNLINK notes when each key goes.
 * Latency = deletion time - commit time. Writes bench/results/latency.png.
 * <p>
 * Flags: {@code --duration 20 --warmup 5 --rate 5000 --tx-rows 5 --connections 4 --rows 20000} (seconds, changes
 * per second, row changes per transaction, load generator connections, products cycled through). Changes of the
 * warm-up seconds are not counted.
 */
public final class LatencyBench {

    static final int FIRST_ID = 2_000_001;

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int duration = flags.integer("duration", 20);
        int warmup = flags.integer("warmup", 5);
        int rate = flags.integer("rate", 5000);
        int txRows = flags.integer("tx-rows", 5);
        int connections = flags.integer("connections", 4);
        int rows = flags.integer("rows", 20_000);
        TestServers servers = BenchSupport.servers();
        BenchSupport.ensureProducts(servers, FIRST_ID, rows);

        String stream = "bench:latency:" + System.currentTimeMillis();
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve("latency-data"));
        Deletions deletions = new Deletions();
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
            try (BenchSupport.App pipeline = BenchSupport.App.start("latency-pipeline", "pipeline", List.of("-Xmx256m"),
                    Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(), "stream.key", stream), servers);
                    BenchSupport.App worker = BenchSupport.App.start("latency-worker", "worker", List.of("-Xmx128m"),
                            Map.of("stream.key", stream, "worker.consumerName", "bench-latency"), servers)) {
                pipeline.awaitLine("Connected to binlog", 120);
                worker.awaitLine("reading stream", 120);

                Load load = new Load(servers, rate, txRows, connections, rows, warmup + duration);
                detail("latency: %d s warm-up + %d s at %,d row changes/s, %d per transaction, %d connections (load %s)",
                        warmup, duration, rate, txRows, connections, BenchSupport.loadAverage());
                load.run();
                long measuredFrom = load.startNanos + TimeUnit.SECONDS.toNanos(warmup);
                long expected = load.count(measuredFrom);
                // wait for the last deletions: until all arrived or 30 s without progress
                long last = -1;
                long stalledSince = System.nanoTime();
                while (deletions.size() < load.total() && System.nanoTime() - stalledSince < 30_000_000_000L) {
                    int now = deletions.size();
                    if (now != last) {
                        last = now;
                        stalledSince = System.nanoTime();
                    }
                    BenchSupport.sleep(100);
                }
                deletions.punsubscribe();
                subscriber.join(5000);

                long[] latencies = match(load, deletions, measuredFrom);
                long[] sorted = BenchSupport.sorted(latencies);
                double achieved = expected / (duration * 1.0);
                long p50 = percentile(sorted, 50);
                long p90 = percentile(sorted, 90);
                long p99 = percentile(sorted, 99);
                long max = sorted.length == 0 ? 0 : sorted[sorted.length - 1];
                boolean met = sorted.length > 0 && p50 <= 50_000_000L && p99 <= 250_000_000L
                        && sorted.length == expected;
                detail("latency: %,d changes measured (%,.0f/s committed), %,d deletions seen, %,d missing;"
                        + " p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; slowest commit %.1f ms", expected,
                        achieved, sorted.length, expected - sorted.length, p50 / 1e6, p90 / 1e6, p99 / 1e6, max / 1e6,
                        load.slowestCommitNanos() / 1e6);
                LatencyChart.write(sorted, Path.of("bench/results/latency.png"),
                        String.format(Locale.ROOT, "End-to-end latency, %,d changes at %,d/s (%d per tx), %d s", sorted.length, rate,
                                txRows, duration));
                row("(3) End-to-end latency, " + num(rate) + " changes/s, " + duration + " s",
                        String.format(Locale.ROOT, "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%,d changes, %,d missing)%s",
                                p50 / 1e6, p90 / 1e6, p99 / 1e6, max / 1e6, sorted.length, expected - sorted.length,
                                met ? "" : " **MISSED**"),
                        "p50 <= 50 ms, p99 <= 250 ms", "");
                row("(4) Memory, latency run", "pipeline -Xmx256m: " + pipeline.memorySummary() + "; worker -Xmx128m: "
                        + worker.memorySummary(), "no OOM, figures met", "");
            } finally {
                admin.configSet("notify-keyspace-events", previous);
                admin.del(stream);
            }
        }
    }

    /** For every measured commit, the first deletion of its key after its key was set and before the next set. */
    static long[] match(Load load, Deletions deletions, long measuredFrom) {
        int ids = load.rows;
        List<List<Long>> deleted = new ArrayList<>(ids);
        for (int i = 0; i < ids; i++) {
            deleted.add(new ArrayList<>(4));
        }
        for (int i = 0; i < deletions.size(); i++) {
            int index = deletions.ids[i] - FIRST_ID;
            if (index >= 0 && index < ids) {
                deleted.get(index).add(deletions.times[i]);
            }
        }
        long[] out = new long[load.total()];
        int n = 0;
        for (Load.Changes changes : load.changes) {
            int[] cursor = new int[ids];
            for (int c = 0; c < changes.size; c++) {
                int index = changes.ids[c] - FIRST_ID;
                List<Long> times = deleted.get(index);
                long setAt = changes.setTimes[c];
                long nextSet = changes.nextSetOfSameId[c];
                while (cursor[index] < times.size() && times.get(cursor[index]) < setAt) {
                    cursor[index]++;
                }
                if (cursor[index] < times.size() && (nextSet == 0 || times.get(cursor[index]) < nextSet)) {
                    long latency = Math.max(0, times.get(cursor[index]) - changes.commitTimes[c]);
                    cursor[index]++;
                    if (changes.commitTimes[c] >= measuredFrom) {
                        out[n++] = latency;
                    }
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Deleted product keys and when the notification arrived, recorded on the subscriber's thread. */
    static final class Deletions extends JedisPubSub {
        final CountDownLatch subscribed = new CountDownLatch(2);
        volatile int size;
        int[] ids = new int[1 << 16];
        long[] times = new long[1 << 16];

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
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                times = Arrays.copyOf(times, size * 2);
            }
            ids[size] = Integer.parseInt(key.substring(8));
            times[size] = now;
            size = size + 1;
        }

        int size() {
            return size;
        }
    }

    /**
     * Commits {@code rate} product price changes per second, {@code txRows} rows per transaction, over
     * {@code connections} connections that each own a slice of the products and go through it round-robin.
     */
    static final class Load {
        final int rows;
        final List<Changes> changes = new ArrayList<>();
        private final TestServers servers;
        private final int rate;
        private final int txRows;
        private final int connections;
        private final int seconds;
        long startNanos;

        Load(TestServers servers, int rate, int txRows, int connections, int rows, int seconds) {
            this.servers = servers;
            this.rate = rate;
            this.txRows = txRows;
            this.connections = connections;
            this.rows = rows;
            this.seconds = seconds;
        }

        /** What one connection committed, in order. */
        static final class Changes {
            int size;
            final int[] ids;
            final long[] setTimes;
            final long[] commitTimes;
            final long[] nextSetOfSameId;
            long slowestCommit;

            Changes(int capacity) {
                ids = new int[capacity];
                setTimes = new long[capacity];
                commitTimes = new long[capacity];
                nextSetOfSameId = new long[capacity];
            }
        }

        void run() throws Exception {
            startNanos = System.nanoTime() + 100_000_000L;
            List<Thread> threads = new ArrayList<>();
            List<Exception> errors = new ArrayList<>();
            for (int t = 0; t < connections; t++) {
                int slice = rows / connections;
                int first = FIRST_ID + t * slice;
                Changes mine = new Changes((rate / connections + 100) * seconds + txRows);
                changes.add(mine);
                int thread = t;
                Thread worker = new Thread(() -> {
                    try {
                        generate(first, slice, mine, thread);
                    } catch (Exception e) {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    }
                }, "load-" + t);
                threads.add(worker);
                worker.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            if (!errors.isEmpty()) {
                throw errors.get(0);
            }
            for (Changes c : changes) {
                long[] lastIndex = new long[rows];
                Arrays.fill(lastIndex, -1);
                for (int i = 0; i < c.size; i++) {
                    int index = c.ids[i] - FIRST_ID;
                    if (lastIndex[index] >= 0) {
                        c.nextSetOfSameId[(int) lastIndex[index]] = c.setTimes[i];
                    }
                    lastIndex[index] = i;
                }
            }
        }

        private void generate(int firstId, int slice, Changes out, int thread) throws Exception {
            double txPerSecond = (double) rate / connections / txRows;
            long periodNanos = (long) (1e9 / txPerSecond);
            long end = startNanos + TimeUnit.SECONDS.toNanos(seconds);
            String marks = String.join(",", java.util.Collections.nCopies(txRows, "?"));
            try (Connection db = servers.admin(); Jedis redis = servers.redis();
                    PreparedStatement update = db.prepareStatement(
                            "UPDATE products SET price = ? WHERE id IN (" + marks + ")")) {
                db.setAutoCommit(false);
                int next = 0;
                long price = 1_000_000L * (thread + 1) + (System.currentTimeMillis() / 1000 % 100_000) * 10;
                for (long tx = 0;; tx++) {
                    long due = startNanos + tx * periodNanos;
                    if (due >= end) {
                        break;
                    }
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    int[] ids = new int[txRows];
                    Pipeline p = redis.pipelined();
                    for (int i = 0; i < txRows; i++) {
                        ids[i] = firstId + next;
                        next = (next + 1) % slice;
                        p.set("product:" + ids[i], "cached");
                    }
                    p.sync();
                    long setAt = System.nanoTime();
                    update.setLong(1, ++price);
                    for (int i = 0; i < txRows; i++) {
                        update.setInt(i + 2, ids[i]);
                    }
                    update.executeUpdate();
                    db.commit();
                    long committed = System.nanoTime();
                    out.slowestCommit = Math.max(out.slowestCommit, committed - setAt);
                    for (int id : ids) {
                        out.ids[out.size] = id;
                        out.setTimes[out.size] = setAt;
                        out.commitTimes[out.size] = committed;
                        out.size++;
                    }
                }
            }
        }

        int total() {
            return changes.stream().mapToInt(c -> c.size).sum();
        }

        long count(long from) {
            long n = 0;
            for (Changes c : changes) {
                for (int i = 0; i < c.size; i++) {
                    if (c.commitTimes[i] >= from) {
                        n++;
                    }
                }
            }
            return n;
        }

        long slowestCommitNanos() {
            return changes.stream().mapToLong(c -> c.slowestCommit).max().orElse(0);
        }
    }
}
