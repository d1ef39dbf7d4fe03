package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;
import dev.cacheinvalidation.lease.LeasedCache;
import redis.clients.jedis.Jedis;

/**
 * Figure 7, consistency under racing readers: the packaged pipeline and worker, a hot set of {@code user:<id>}
 * rows, writers committing new versions of them and read-through readers that take up to {@code fill-delay} ms
 * between their database read and their cache write (a GC pause, a slow query). Run once per protocol:
 * <ul>
 * <li>plain GET, then SELECT and SET on a miss;</li>
 * <li>the same with the worker's delayed second delete ({@code worker.redeleteAfterMs=1500});</li>
 * <li>the lease protocol ({@link LeasedCache}: lease-get, SELECT, lease-fill).</li>
 * </ul>
 * Each read is checked against the database's history: it is stale by the time since the first newer version was
 * committed. Reported: reads stale by more than 1 s and 10 s (consistency nines), and once writers stop and the
 * stream is drained, the keys that still hold an old version (stale at rest, for ever without a TTL). Then the
 * cost: lease-get + lease-fill against GET + SET on the same Redis.
 * <p>
 * Flags: {@code --readers 16 --writers 2 --fill-delay 400 --hot 50 --duration 30 --rate 100 --tx-rows 1
 * --read-pause 2 --warmup 0 --settle 3 --protocols plain,redelete,lease --cost-seconds 5 --cost-threads 8}.
 * Rate is row changes per second over all writers; warm-up runs the load that long before the first protocol
 * (the just-started pipeline falls behind on 2 cores at high rates).
 */
public final class ConsistencyBench {

    static final int FIRST_ID = 3_000_001;
    static final long REDELETE_AFTER_MS = 1500;

    enum Protocol {
        PLAIN("plain GET/SET"), REDELETE("plain GET/SET + second delete after " + REDELETE_AFTER_MS + " ms"),
        LEASE("lease protocol");

        final String label;

        Protocol(String label) {
            this.label = label;
        }
    }

    record Settings(int readers, int writers, int fillDelayMs, int hotKeys, int durationSeconds, int rate, int txRows,
            int readPauseMs, int warmupSeconds, int settleSeconds) {

        static Settings of(BenchSupport.Flags flags) {
            return new Settings(flags.integer("readers", 16), flags.integer("writers", 2),
                    flags.integer("fill-delay", 400), flags.integer("hot", 50), flags.integer("duration", 30),
                    flags.integer("rate", 100), flags.integer("tx-rows", 1), flags.integer("read-pause", 2),
                    flags.integer("warmup", 0), flags.integer("settle", 3));
        }

        String describe() {
            return String.format(Locale.ROOT, "%d readers (fill delay up to %d ms, %d ms between reads), %d writers at"
                    + " %,d row changes/s (%d per transaction), %d hot keys, %d s", readers, fillDelayMs, readPauseMs,
                    writers, rate, txRows, hotKeys, durationSeconds);
        }
    }

    /**
     * @param staleHitsOver1s the reads stale by more than 1 s that came from the cache: a value waiting for its
     *                        invalidation (the rest were loads slowed by the fill delay)
     */
    record Outcome(Protocol protocol, long reads, long staleOver1s, long staleOver10s, long maxStaleMs,
            long staleHitsOver1s, int staleAtRest, int hotKeys, long changes, long refusedFills, long busyReads) {

        String nines() {
            if (reads == 0) {
                return "no reads";
            }
            if (staleOver1s == 0) {
                return String.format(Locale.ROOT, "0 of %,d (more than %.1f nines)", reads, Math.log10(reads));
            }
            return String.format(Locale.ROOT, "%,d of %,d (%.1f nines)", staleOver1s, reads,
                    -Math.log10(staleOver1s / (double) reads));
        }

        String summary() {
            return String.format(Locale.ROOT, "stale keys at rest: %d of %d; reads stale > 1 s: %s; > 10 s: %,d;"
                    + " max staleness %,d ms", staleAtRest, hotKeys, nines(), staleOver10s, maxStaleMs);
        }
    }

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        Settings settings = Settings.of(flags);
        List<Protocol> protocols = new ArrayList<>();
        for (String name : flags.text("protocols", "plain,redelete,lease").split(",")) {
            protocols.add(Protocol.valueOf(name.trim().toUpperCase(Locale.ROOT)));
        }
        TestServers servers = BenchSupport.servers();
        detail("consistency: %s (load %s)", settings.describe(), BenchSupport.loadAverage());
        for (Outcome outcome : run(servers, settings, protocols, "consistency")) {
            String target = switch (outcome.protocol()) {
                case PLAIN -> "(shows the hole)";
                case REDELETE -> "0 stale keys at rest";
                case LEASE -> "0 stale keys at rest, 0 reads stale > 1 s";
            };
            row("(7) Consistency, " + outcome.protocol().label + ", fills up to " + settings.fillDelayMs() + " ms, "
                    + num(settings.rate()) + " changes/s", outcome.summary(), target, "");
        }
        LeaseCost.run(servers, flags.integer("cost-seconds", 5), flags.integer("cost-threads", 8));
    }

    /** Starts the pipeline and the worker(s) and measures each protocol in turn. */
    static List<Outcome> run(TestServers servers, Settings settings, List<Protocol> protocols, String name)
            throws Exception {
        ensureUsers(servers, settings.hotKeys());
        String stream = "bench:" + name + ":" + System.currentTimeMillis();
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve(name + "-data-" + System.currentTimeMillis()));
        List<Outcome> outcomes = new ArrayList<>();
        try (Jedis admin = servers.redis();
                AppProcess pipeline = BenchSupport.app(name + "-pipeline", "pipeline", List.of("-Xmx256m"),
                        Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(), "stream.key", stream,
                                "stream.deadLetterKey", stream + ":dlq", "cdc.name", name), servers)) {
            pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(120));
            try {
                boolean warmedUp = settings.warmupSeconds() == 0;
                AppProcess worker = null;
                boolean workerRedeletes = false;
                try {
                    for (Protocol protocol : protocols) {
                        boolean redelete = protocol == Protocol.REDELETE;
                        if (worker == null || workerRedeletes != redelete) {
                            if (worker != null) {
                                worker.close();
                            }
                            Map<String, String> props = new HashMap<>(Map.of("stream.key", stream,
                                    "worker.consumerName", name + "-worker"));
                            if (redelete) {
                                props.put("worker.redeleteAfterMs", Long.toString(REDELETE_AFTER_MS));
                            }
                            worker = BenchSupport.app(name + "-worker-" + protocol.name().toLowerCase(Locale.ROOT),
                                    "worker", List.of("-Xmx128m"), props, servers);
                            worker.awaitLine("reading stream", Duration.ofSeconds(120));
                            workerRedeletes = redelete;
                        }
                        if (!warmedUp) {
                            detail("consistency: %d s of warm-up load (not counted)", settings.warmupSeconds());
                            new ConsistencyRound(servers, settings, Protocol.PLAIN, settings.warmupSeconds()).run(admin, stream);
                            warmedUp = true;
                        }
                        Outcome outcome = new ConsistencyRound(servers, settings, protocol, settings.durationSeconds()).run(admin, stream);
                        detail("consistency, %s: %s; of the reads stale > 1 s, %,d from the cache (a value waiting"
                                + " for its invalidation); %,d changes (%,.0f/s), %,d fills refused, %,d reads while"
                                + " another held the lease (load %s)", protocol.label, outcome.summary(),
                                outcome.staleHitsOver1s(), outcome.changes(),
                                outcome.changes() / (double) settings.durationSeconds(), outcome.refusedFills(),
                                outcome.busyReads(), BenchSupport.loadAverage());
                        outcomes.add(outcome);
                    }
                } finally {
                    if (worker != null) {
                        worker.close();
                    }
                }
            } finally {
                admin.del(stream, stream + ":dlq");
            }
        }
        return outcomes;
    }

    /** Users FIRST_ID.. of the hot set, committed before the pipeline starts. */
    static void ensureUsers(TestServers servers, int count) throws Exception {
        try (Connection db = servers.admin()) {
            List<Object[]> rows = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                rows.add(new Object[] { FIRST_ID + i, "hot" + (FIRST_ID + i) + "@example.com", "0" });
            }
            BenchSupport.batch(db, "INSERT IGNORE INTO users (id, email, name) VALUES (?, ?, ?)", rows);
        }
    }

    static String key(int index) {
        return "user:" + (FIRST_ID + index);
    }
}
