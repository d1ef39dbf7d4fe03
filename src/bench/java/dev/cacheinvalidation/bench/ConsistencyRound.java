package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.ConsistencyBench.FIRST_ID;
import static dev.cacheinvalidation.bench.ConsistencyBench.key;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

import dev.cacheinvalidation.bench.ConsistencyBench.Outcome;
import dev.cacheinvalidation.bench.ConsistencyBench.Protocol;
import dev.cacheinvalidation.bench.ConsistencyBench.Settings;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import dev.cacheinvalidation.lease.LeaseReply;
import dev.cacheinvalidation.lease.LeasedCache;
import dev.cacheinvalidation.lease.RedisScripting;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPooled;

/**
 * One protocol's run of {@link ConsistencyBench}: the writers, the readers, then the check at rest.
 */
final class ConsistencyRound {

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

    ConsistencyRound(TestServers servers, Settings settings, Protocol protocol, int seconds) {
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
