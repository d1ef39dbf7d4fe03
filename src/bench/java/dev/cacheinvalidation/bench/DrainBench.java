package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.LocalRedisCluster;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * Figure 2, worker drain: a stream of seed-format events (a users email change: 5 existing keys each) drained by
 * one {@code java -Xmx128m -jar ... worker}, with the default logging (one INFO line per event) and with that line
 * quieted (bench/log4j2-quiet.properties), against the seed's Node worker ({@code examples/node-worker}, run by
 * {@code node}: XREADGROUP COUNT 100, then one DEL round trip per key and one XACK per entry) on an identical stream.
 * Time: first entry read by the group (XINFO GROUPS polled every 10 ms) until pending = 0 and lag = 0. Each worker
 * process drains the stream twice: cold, just started, and then warm, when a second batch of events is appended at
 * once (MULTI/EXEC) to the stream it reads; the target (12x the Node worker) is judged on the default worker when
 * warm.
 * <p>
 * Flags: {@code --runs 2 --events 50000}; {@code --tuned worker.batchSize=500,-XX:...} adds a quiet run with those
 * settings and JVM options; {@code --no-seed} skips the baseline. {@code --cache cluster} measures instead the same quiet worker
 * with the cache on a 3-master Redis Cluster on loopback (the stream standalone), against the standalone cache in
 * the same run.
 */
public final class DrainBench {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The default worker, warm, drains at least this many times faster than the Node worker in the same run. */
    private static final double MIN_RATIO = 12;

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        int events = flags.integer("events", 50_000);
        TestServers servers = BenchSupport.servers();
        if ("cluster".equals(flags.text("cache", "standalone"))) {
            clusterAgainstStandalone(servers, runs, events);
            return;
        }
        List<String> quiet = List.of("-Xmx128m", "-Dlog4j2.configurationFile=classpath:log4j2.properties,"
                + Path.of("bench/log4j2-quiet.properties").toAbsolutePath());
        List<String> tuned = new ArrayList<>(quiet);
        for (String setting : flags.text("tuned", "").split(",")) {
            if (!setting.isBlank()) {
                // a JVM option as it is (-XX:...), a property as -Dkey=value
                tuned.add(setting.trim().startsWith("-") ? setting.trim() : "-D" + setting.trim());
            }
        }

        List<String> defaults = new ArrayList<>();
        List<String> quiets = new ArrayList<>();
        List<String> tunes = new ArrayList<>();
        List<String> baselines = new ArrayList<>();
        List<String> ratios = new ArrayList<>();
        List<String> memory = new ArrayList<>();
        boolean met = true;
        for (int run = 1; run <= runs; run++) {
            Drain logging = javaWorker(servers, run, "default", events, List.of("-Xmx128m"));
            Drain silent = javaWorker(servers, run, "quiet", events, quiet);
            defaults.add(num(logging.rate()) + " cold, " + num(logging.warmRate()) + " warm");
            quiets.add(num(silent.rate()) + " cold, " + num(silent.warmRate()) + " warm");
            memory.add(logging.memory + "; quiet: " + silent.memory);
            met &= logging.complete() && silent.complete();
            if (tuned.size() > quiet.size()) {
                Drain tune = javaWorker(servers, run, "tuned", events, tuned);
                tunes.add(num(tune.rate()) + " cold, " + num(tune.warmRate()) + " warm");
            }
            if (!flags.bool("no-seed")) {
                Drain seed = nodeWorker(servers, run, events);
                baselines.add(num(seed.rate()));
                ratios.add(String.format(Locale.ROOT, "%.1fx cold, %.1fx warm", logging.rate() / seed.rate(),
                        logging.warmRate() / seed.rate()));
                // judged on the default worker once warm, as it runs in production
                met &= seed.complete() && logging.warmRate() >= MIN_RATIO * seed.rate();
            }
        }
        row("(2) Worker drain, " + num(events) + " events x 5 keys, 1 worker",
                String.join(" / ", defaults) + " events/s (INFO line per event); " + String.join(" / ", quiets)
                        + " events/s (line quieted)"
                        + (tunes.isEmpty() ? "" : "; with " + flags.text("tuned", "") + ": " + String.join(" / ", tunes)
                                + " events/s")
                        + (baselines.isEmpty() ? "" : "; seed Node worker " + String.join(" / ", baselines)
                                + " events/s; ratio (default worker / Node worker) " + String.join("; ", ratios))
                        + (met ? "" : " **MISSED**"),
                ">= 12x the Node worker (warm), goal 15x", "seed Node worker, same run");
        row("(4) Memory, drain worker -Xmx128m", String.join(" / ", memory), "no OOM, figures met", "");
    }

    record Drain(long events, long firstNanos, long doneNanos, long startNanos, long keysLeft, String memory,
            double warmRate) {
        Drain(long events, long firstNanos, long doneNanos, long startNanos, long keysLeft, String memory) {
            this(events, firstNanos, doneNanos, startNanos, keysLeft, memory, 0);
        }

        Drain withWarm(double rate) {
            return new Drain(events, firstNanos, doneNanos, startNanos, keysLeft, memory, rate);
        }

        double rate() {
            return events / ((doneNanos - firstNanos) / 1e9);
        }

        boolean complete() {
            return doneNanos > 0 && keysLeft == 0;
        }
    }

    /** The quiet worker draining into a 3-master cluster and into the standalone Redis, alternately, each run. */
    static void clusterAgainstStandalone(TestServers servers, int runs, int events) throws Exception {
        List<String> quiet = List.of("-Xmx128m", "-Dlog4j2.configurationFile=classpath:log4j2.properties,"
                + Path.of("bench/log4j2-quiet.properties").toAbsolutePath());
        List<String> standalone = new ArrayList<>();
        List<String> clustered = new ArrayList<>();
        List<String> ratios = new ArrayList<>();
        boolean met = true;
        try (LocalRedisCluster cluster = LocalRedisCluster.start(BenchSupport.runDir().resolve("redis-cluster"), 3, 0);
                JedisCluster cache = cluster.client(); JedisPooled local = new JedisPooled(
                        RedisAddress.parse(servers.redisUri()).hostAndPort(),
                        RedisAddress.parse(servers.redisUri()).clientConfig(10_000, "bench"))) {
            for (int run = 1; run <= runs; run++) {
                Drain single = javaWorker(servers, run, "quiet-standalone", events, quiet, local, null);
                Drain spread = javaWorker(servers, run, "quiet-cluster", events, quiet, cache, cluster.uri());
                standalone.add(num(single.rate()) + " cold, " + num(single.warmRate()) + " warm");
                clustered.add(num(spread.rate()) + " cold, " + num(spread.warmRate()) + " warm");
                double warmRatio = spread.warmRate() / single.warmRate();
                ratios.add(String.format(Locale.ROOT, "%.0f %% cold, %.0f %% warm", 100 * spread.rate() / single.rate(),
                        100 * warmRatio));
                met &= warmRatio >= 0.8 && single.complete() && spread.complete();
            }
        }
        row("(2c) Worker drain, cache on a 3-master cluster, " + num(events) + " events x 5 keys, 1 worker, line quieted",
                "cluster " + String.join(" / ", clustered) + " events/s; standalone " + String.join(" / ", standalone)
                        + " events/s; cluster / standalone " + String.join("; ", ratios) + (met ? "" : " **MISSED**"),
                ">= 80 % of standalone (warm)", "the standalone cache in the same run");
    }

    static Drain javaWorker(TestServers servers, int run, String variant, int events, List<String> jvmOptions)
            throws Exception {
        try (JedisPooled cache = new JedisPooled(
                RedisAddress.parse(servers.redisUri()).hostAndPort(),
                RedisAddress.parse(servers.redisUri()).clientConfig(10_000, "bench"))) {
            return javaWorker(servers, run, variant, events, jvmOptions, cache, null);
        }
    }

    /** One worker process; the keys live in {@code cache} ({@code cacheUri}, null: the stream's Redis). */
    static Drain javaWorker(TestServers servers, int run, String variant, int events, List<String> jvmOptions,
            UnifiedJedis cache, String cacheUri) throws Exception {
        String stream = "bench:drain:" + System.currentTimeMillis() + ":" + variant;
        Map<String, String> properties = new java.util.HashMap<>(Map.of("stream.key", stream, "worker.consumerName", "bench"));
        if (cacheUri != null) {
            properties.put("cache.uri", cacheUri);
        }
        try (Jedis jedis = servers.redis()) {
            prepareKeys(cache, events);
            appendAtOnce(jedis, stream, events);
            Drain d;
            try (AppProcess worker = BenchSupport.app("drain-" + run + "-" + variant, "worker", jvmOptions,
                    properties, servers)) {
                Marks m = awaitDrained(jedis, stream, 0, events, worker::isAlive, worker::cpuSeconds,
                        () -> BenchSupport.redisCpuSeconds(servers));
                String memory = worker.memorySummary();
                long left = keysLeft(cache, events);
                d = new Drain(events, m.first(), m.done(), worker.startNanos(), left, memory);
                double cpu = m.used(0);
                detail("drain run %d, java worker, %s: %s events/s from first read (%s), %s from process start;"
                        + " worker CPU %.1f s (%s events per CPU-second), Redis CPU %.1f s; keys left %d; %s (load %s)",
                        run, variant, num(d.rate()), seconds(m.done() - m.first()), seconds(m.done() - worker.startNanos()),
                        cpu, num(events / Math.max(0.01, cpu)), m.used(1), left, memory, BenchSupport.loadAverage());
                if (d.complete()) {
                    // the same process again, its JIT warm: a worker that runs all day drains at this rate
                    prepareKeys(cache, events);
                    appendAtOnce(jedis, stream, events);
                    Marks w = awaitDrained(jedis, stream, events, events, worker::isAlive, worker::cpuSeconds,
                            () -> BenchSupport.redisCpuSeconds(servers));
                    long warmLeft = keysLeft(cache, events);
                    Drain warm = new Drain(events, w.first(), w.done(), worker.startNanos(), warmLeft, memory);
                    detail("drain run %d, java worker, %s, same process when warm: %s events/s (%s); worker CPU %.1f s"
                            + " (%s events per CPU-second), Redis CPU %.1f s; keys left %d (load %s)", run, variant,
                            num(warm.rate()), seconds(w.done() - w.first()), w.used(0),
                            num(events / Math.max(0.01, w.used(0))), w.used(1), warmLeft, BenchSupport.loadAverage());
                    d = d.withWarm(warm.complete() ? warm.rate() : 0);
                }
            }
            jedis.del(stream);
            return d;
        }
    }

    /** The stream and group the seed's Node worker has written into it. */
    static final String NODE_STREAM = "cache:invalidations";
    static final Path NODE_WORKER = Path.of("examples/node-worker/cache-invalidation-worker.js").toAbsolutePath();

    /**
     * The seed's Node worker itself ({@code node examples/node-worker/cache-invalidation-worker.js}, unchanged: one
     * DEL round trip per key, one XACK per entry, a console line per event) on the stream name it has built in.
     */
    static Drain nodeWorker(TestServers servers, int run, int events) throws Exception {
        if (!Files.isDirectory(NODE_WORKER.getParent().resolve("node_modules/ioredis"))) {
            throw new IllegalStateException("the Node worker needs its dependencies: npm ci --prefix examples/node-worker");
        }
        try (Jedis jedis = servers.redis()) {
            jedis.del(NODE_STREAM);
            prepare(jedis, NODE_STREAM, events);
            Path log = BenchSupport.runDir().resolve("drain-" + run + "-node.log");
            ProcessBuilder builder = new ProcessBuilder("node", NODE_WORKER.toString())
                    .directory(NODE_WORKER.getParent().toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("REDIS_URI", servers.redisUri());
            long start = System.nanoTime();
            Process node = builder.start();
            try {
                Marks m = awaitDrained(jedis, NODE_STREAM, 0, events, node::isAlive, () -> cpuSeconds(node),
                        () -> BenchSupport.redisCpuSeconds(servers));
                long left = keysLeft(jedis, events);
                Drain d = new Drain(events, m.first(), m.done(), start, left, "");
                detail("drain run %d, seed Node worker (node %s): %s events/s (%s); node CPU %.1f s, Redis CPU %.1f s;"
                        + " keys left %d (load %s)", run, nodeVersion(), num(d.rate()), seconds(m.done() - m.first()),
                        m.used(0), m.used(1), left, BenchSupport.loadAverage());
                return d;
            } finally {
                node.destroy();
                node.waitFor();
                jedis.del(NODE_STREAM);
            }
        }
    }

    private static double cpuSeconds(Process process) {
        return process.info().totalCpuDuration().map(d -> d.toMillis() / 1000.0).orElse(-1.0);
    }

    private static String nodeVersion() throws Exception {
        Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
        String text = new String(version.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        version.waitFor();
        return text;
    }

    /** Sets the 5 keys of every event and writes the events to a fresh stream. */
    static void prepare(Jedis jedis, String stream, int events) throws Exception {
        prepareKeys(jedis, events);
        appendAtOnce(jedis, stream, events);
    }

    /** Appends the events in one MULTI/EXEC, so that a running worker finds them all at once. */
    static void appendAtOnce(Jedis jedis, String stream, int events) throws Exception {
        List<String> texts = new ArrayList<>(events);
        for (int i = 1; i <= events; i++) {
            texts.add(event(i));
        }
        try (redis.clients.jedis.AbstractTransaction tx = jedis.multi()) {
            for (String text : texts) {
                tx.xadd(stream, StreamEntryID.NEW_ENTRY, Map.of("event", text));
            }
            tx.exec();
        }
    }

    static void prepareKeys(Jedis jedis, int events) {
        Pipeline p = jedis.pipelined();
        for (int i = 1; i <= events; i++) {
            for (String key : keys(i)) {
                p.set(key, "cached");
            }
            if (i % 2000 == 0) {
                p.sync();
            }
        }
        p.sync();
    }

    /** The same on a single server or a cluster (a pipeline per 2,000 events, to each master its keys). */
    static void prepareKeys(UnifiedJedis cache, int events) {
        for (int from = 1; from <= events; from += 2000) {
            try (AbstractPipeline p = cache.pipelined()) {
                for (int i = from; i < Math.min(events + 1, from + 2000); i++) {
                    for (String key : keys(i)) {
                        p.set(key, "cached");
                    }
                }
                p.sync();
            }
        }
    }

    /** Keys of the events still in {@code cache}, one EXISTS per key (keys of a cluster live in many slots). */
    static long keysLeft(UnifiedJedis cache, int events) {
        long left = 0;
        for (int from = 1; from <= events; from += 2000) {
            List<redis.clients.jedis.Response<Boolean>> found = new ArrayList<>();
            try (AbstractPipeline p = cache.pipelined()) {
                for (int i = from; i < Math.min(events + 1, from + 2000); i++) {
                    for (String key : keys(i)) {
                        found.add(p.exists(key));
                    }
                }
                p.sync();
            }
            left += found.stream().filter(redis.clients.jedis.Response::get).count();
        }
        return left;
    }

    static List<String> keys(int id) {
        return List.of("user:" + id, "user:email:new" + id + "@example.com", "user:email:old" + id + "@example.com",
                "user:" + id + ":orders", "user:" + id + ":profile");
    }

    /** A users email change as the pipeline writes it (seed cache-keys.js output). */
    static String event(int id) throws Exception {
        Map<String, Object> before = Map.of("id", id, "email", "old" + id + "@example.com", "name", "User " + id,
                "created_at", "2025-01-01T10:00:00");
        Map<String, Object> after = Map.of("id", id, "email", "new" + id + "@example.com", "name", "User " + id,
                "created_at", "2025-01-01T10:00:00", "_cache_keys", keys(id), "_invalidation_strategy", "batched");
        Map<String, Object> source = Map.of("file", "mysql-bin.000003", "pos", 1000L + id * 400L, "row", 0,
                "gtid", "0-1-" + id, "server_id", 1, "ts_ms", 1764240000000L + id);
        return JSON.writeValueAsString(Map.of("op", "u", "table", "app.users", "before", before, "after", after,
                "tags", List.of("cache:invalidate", "strategy:batched", "keys:5"), "source", source, "tx", "0-1-" + id));
    }

    /** When the group read its first entry and when it was drained (nanoTime), and the meters at both moments. */
    record Marks(long first, long done, double[] atFirst, double[] atDone) {
        double used(int meter) {
            return atDone[meter] - atFirst[meter];
        }
    }

    /**
     * Polls the group every 10 ms until pending = 0 and lag = 0 with every entry read (or 10 minutes); the first
     * mark is the first read beyond the {@code before} entries read earlier.
     */
    static Marks awaitDrained(Jedis jedis, String stream, int before, int events, BooleanSupplier alive,
            DoubleSupplier... meters) {
        long first = 0;
        double[] atFirst = new double[meters.length];
        long deadline = System.nanoTime() + 600_000_000_000L;
        boolean running = true;
        while (System.nanoTime() < deadline && running) {
            running = alive.getAsBoolean();
            StreamProbe.GroupState state = StreamProbe.state(jedis, stream, BenchSupport.GROUP);
            long now = System.nanoTime();
            if (state != null && first == 0 && state.entriesRead() > before) {
                first = now;
                atFirst = read(meters);
            }
            if (state != null && state.entriesRead() >= before + events && state.drained()) {
                return new Marks(first, now, atFirst, read(meters));
            }
            BenchSupport.sleep(10);
        }
        return new Marks(first, 0, atFirst, read(meters));
    }

    private static double[] read(DoubleSupplier[] meters) {
        double[] values = new double[meters.length];
        for (int i = 0; i < meters.length; i++) {
            values[i] = meters[i].getAsDouble();
        }
        return values;
    }

    static long keysLeft(Jedis jedis, int events) {
        Pipeline p = jedis.pipelined();
        List<redis.clients.jedis.Response<Long>> counts = new ArrayList<>();
        for (int i = 1; i <= events; i += 1000) {
            List<String> batch = new ArrayList<>();
            for (int id = i; id < Math.min(events + 1, i + 1000); id++) {
                batch.addAll(keys(id));
            }
            counts.add(p.exists(batch.toArray(String[]::new)));
        }
        p.sync();
        return counts.stream().mapToLong(redis.clients.jedis.Response::get).sum();
    }
}
