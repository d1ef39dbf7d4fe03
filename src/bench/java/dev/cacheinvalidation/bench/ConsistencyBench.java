package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import dev.cacheinvalidation.lease.LeaseReply;
import dev.cacheinvalidation.lease.LeasedCache;
import dev.cacheinvalidation.lease.RedisScripting;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;

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
                            new Round(servers, settings, Protocol.PLAIN, settings.warmupSeconds()).run(admin, stream);
                            warmedUp = true;
                        }
                        Outcome outcome = new Round(servers, settings, protocol, settings.durationSeconds()).run(admin, stream);
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

    /** One protocol's run: the writers, the readers, then the check at rest. */
    static final class Round {
        private final TestServers servers;
        private final Settings settings;
        private final Protocol protocol;
        private final int seconds;
        private final VersionHistory history;
        private final AtomicBoolean writing = new AtomicBoolean(true);
        private final AtomicBoolean reading = new AtomicBoolean(true);
        private final AtomicBoolean counting = new AtomicBoolean(true);
        private final AtomicLong reads = new AtomicLong();
        private final AtomicLong staleOver1s = new AtomicLong();
        private final AtomicLong staleOver10s = new AtomicLong();
        private final AtomicLong staleHitsOver1s = new AtomicLong();
        private final LongAccumulator maxStaleNanos = new LongAccumulator(Math::max, 0);
        private final AtomicLong changes = new AtomicLong();
        private final AtomicLong refusedFills = new AtomicLong();
        private final AtomicLong busyReads = new AtomicLong();
        private final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

        Round(TestServers servers, Settings settings, Protocol protocol, int seconds) {
            this.servers = servers;
            this.settings = settings;
            this.protocol = protocol;
            this.seconds = seconds;
            this.history = new VersionHistory(settings.hotKeys());
        }

        Outcome run(Jedis admin, String stream) throws Exception {
            int hot = settings.hotKeys();
            // start from the database's current versions, nothing cached
            long[] start = currentVersions();
            history.start(start);
            for (int i = 0; i < hot; i++) {
                admin.del(key(i));
            }
            ConnectionPoolConfig pool = new ConnectionPoolConfig();
            pool.setMaxTotal(settings.readers() + 4);
            try (JedisPooled redis = new JedisPooled(pool, URI.create(servers.redisUri()))) {
                LeasedCache cache = new LeasedCache(RedisScripting.of(redis))
                        .withLeaseTime(Duration.ofMillis(settings.fillDelayMs() + 5_000L))
                        .withBusyRetries(0, Duration.ZERO);
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < settings.writers(); w++) {
                    int writer = w;
                    writers.add(thread("writer-" + w, () -> write(writer, start)));
                }
                List<Thread> readers = new ArrayList<>();
                for (int r = 0; r < settings.readers(); r++) {
                    readers.add(thread("reader-" + r, () -> read(redis, cache)));
                }
                BenchSupport.sleep(TimeUnit.SECONDS.toMillis(seconds));
                writing.set(false);
                for (Thread t : writers) {
                    t.join();
                }
                counting.set(false);
                // at rest: the stream drained, then the settle time (covers the second delete), readers still reading
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline) {
                    StreamProbe.GroupState group = StreamProbe.state(admin, stream, BenchSupport.GROUP);
                    if (group != null && group.drained()) {
                        break;
                    }
                    BenchSupport.sleep(100);
                }
                BenchSupport.sleep(TimeUnit.SECONDS.toMillis(settings.settleSeconds()));
                reading.set(false);
                for (Thread t : readers) {
                    t.join();
                }
            }
            if (!errors.isEmpty()) {
                throw new IllegalStateException("the " + protocol.label + " round failed", errors.get(0));
            }
            long[] end = currentVersions();
            int staleAtRest = 0;
            for (int i = 0; i < hot; i++) {
                String cached = admin.get(key(i));
                if (cached != null && !cached.startsWith("\0lease:") && Long.parseLong(cached) != end[i]) {
                    staleAtRest++;
                }
            }
            return new Outcome(protocol, reads.get(), staleOver1s.get(), staleOver10s.get(),
                    TimeUnit.NANOSECONDS.toMillis(maxStaleNanos.get()), staleHitsOver1s.get(), staleAtRest, hot,
                    changes.get(),
                    refusedFills.get(), busyReads.get());
        }

        private Thread thread(String name, CheckedRunnable body) {
            Thread thread = new Thread(() -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    errors.add(e);
                    writing.set(false);
                    reading.set(false);
                }
            }, name);
            thread.start();
            return thread;
        }

        interface CheckedRunnable {
            void run() throws Exception;
        }

        /** Writer w owns the keys i with i % writers == w, so each key's versions are committed in order. */
        private void write(int writer, long[] start) throws Exception {
            List<Integer> own = new ArrayList<>();
            for (int i = writer; i < settings.hotKeys(); i += settings.writers()) {
                own.add(i);
            }
            long[] version = start.clone();
            double perWriter = settings.rate() / (double) settings.writers();
            long intervalNanos = (long) (1e9 * settings.txRows() / perWriter);
            try (Connection db = servers.admin();
                    PreparedStatement update = db.prepareStatement("UPDATE users SET name = ? WHERE id = ?")) {
                db.setAutoCommit(false);
                long next = System.nanoTime();
                while (writing.get()) {
                    Collections.shuffle(own);
                    List<Integer> rows = own.subList(0, Math.min(settings.txRows(), own.size()));
                    for (int i : rows) {
                        update.setString(1, Long.toString(++version[i]));
                        update.setInt(2, FIRST_ID + i);
                        update.addBatch();
                    }
                    update.executeBatch();
                    db.commit();
                    long committed = System.nanoTime();
                    for (int i : rows) {
                        history.committed(i, version[i], committed);
                    }
                    changes.addAndGet(rows.size());
                    next += intervalNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } else if (wait < -1_000_000_000L) {
                        next = System.nanoTime(); // behind by more than a second: do not burst
                    }
                }
            }
        }

        private void read(JedisPooled redis, LeasedCache cache) throws Exception {
            try (Connection db = servers.admin();
                    PreparedStatement select = db.prepareStatement("SELECT name FROM users WHERE id = ?")) {
                db.setAutoCommit(true);
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (reading.get()) {
                    int i = random.nextInt(settings.hotKeys());
                    String key = key(i);
                    String value;
                    boolean hit = false;
                    if (protocol == Protocol.LEASE) {
                        LeaseReply reply = cache.leaseGet(key);
                        if (reply instanceof LeaseReply.Hit cached) {
                            value = cached.value();
                            hit = true;
                        } else {
                            value = load(select, i, random);
                            if (reply instanceof LeaseReply.Lease lease) {
                                if (!cache.leaseFill(key, lease.token(), value)) {
                                    refusedFills.incrementAndGet();
                                }
                            } else {
                                busyReads.incrementAndGet();
                            }
                        }
                    } else {
                        value = redis.get(key);
                        hit = value != null;
                        if (value == null) {
                            value = load(select, i, random);
                            redis.set(key, value);
                        }
                    }
                    check(i, Long.parseLong(value), hit);
                    if (settings.readPauseMs() > 0) {
                        Thread.sleep(settings.readPauseMs());
                    }
                }
            }
        }

        /** The row's current version, then the fill delay (the reader is slow between its read and its write). */
        private String load(PreparedStatement select, int i, ThreadLocalRandom random) throws Exception {
            select.setInt(1, FIRST_ID + i);
            String value;
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                value = rs.getString(1);
            }
            if (settings.fillDelayMs() > 0) {
                Thread.sleep(random.nextInt(settings.fillDelayMs() + 1));
            }
            return value;
        }

        /** A read of version v is stale by the time since version v + 1 was committed (if it was). */
        private void check(int i, long version, boolean hit) {
            if (!counting.get()) {
                return;
            }
            reads.incrementAndGet();
            long newerCommitted = history.commitTimeOf(i, version + 1);
            if (newerCommitted != 0) {
                long stale = System.nanoTime() - newerCommitted;
                maxStaleNanos.accumulate(stale);
                if (stale > 1_000_000_000L) {
                    staleOver1s.incrementAndGet();
                    if (hit) {
                        staleHitsOver1s.incrementAndGet();
                    }
                }
                if (stale > 10_000_000_000L) {
                    staleOver10s.incrementAndGet();
                }
            }
        }

        private long[] currentVersions() throws Exception {
            long[] versions = new long[settings.hotKeys()];
            try (Connection db = servers.admin();
                    PreparedStatement select = db.prepareStatement(
                            "SELECT id, name FROM users WHERE id BETWEEN ? AND ?")) {
                select.setInt(1, FIRST_ID);
                select.setInt(2, FIRST_ID + settings.hotKeys() - 1);
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        versions[rs.getInt(1) - FIRST_ID] = Long.parseLong(rs.getString(2));
                    }
                }
            }
            return versions;
        }
    }

    /**
     * When each version of each hot row was committed (nanoTime), written by the key's one writer and read by every
     * reader: versions after the round's start version, in chunks, each published by a volatile count.
     */
    static final class VersionHistory {
        private static final int CHUNK = 4096;

        private final long[] base;
        private final List<List<long[]>> chunks = new ArrayList<>();
        private final AtomicLongArray published;

        VersionHistory(int keys) {
            base = new long[keys];
            published = new AtomicLongArray(keys);
            for (int i = 0; i < keys; i++) {
                chunks.add(new CopyOnWriteArrayList<>());
            }
        }

        void start(long[] versions) {
            System.arraycopy(versions, 0, base, 0, versions.length);
        }

        /** By the key's writer only, for versions base+1, base+2, ... in order. */
        void committed(int key, long version, long nanos) {
            long offset = version - base[key] - 1;
            List<long[]> list = chunks.get(key);
            if (offset / CHUNK >= list.size()) {
                list.add(new long[CHUNK]);
            }
            list.get((int) (offset / CHUNK))[(int) (offset % CHUNK)] = nanos;
            published.set(key, offset + 1);
        }

        /** When the version was committed, or 0 if it was not (yet). */
        long commitTimeOf(int key, long version) {
            long offset = version - base[key] - 1;
            if (offset < 0 || offset >= published.get(key)) {
                return 0;
            }
            return chunks.get(key).get((int) (offset / CHUNK))[(int) (offset % CHUNK)];
        }
    }
}
