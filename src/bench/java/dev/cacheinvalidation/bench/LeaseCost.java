package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.cacheinvalidation.it.TestServers;
import dev.cacheinvalidation.lease.LeaseReply;
import dev.cacheinvalidation.lease.LeasedCache;
import dev.cacheinvalidation.lease.RedisScripting;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * What the lease protocol costs on Redis, against plain commands on the same server in the same run: a miss
 * (lease-get + lease-fill against GET + SET, each on a fresh key) and a hit (lease-get against GET), from
 * {@code threads} client threads, each measured twice, alternating.
 */
final class LeaseCost {

    private enum Kind {
        PLAIN_MISS("GET + SET"), LEASE_MISS("lease-get + lease-fill"), PLAIN_HIT("GET (hit)"),
        LEASE_HIT("lease-get (hit)");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    private LeaseCost() {
    }

    static void run(TestServers servers, int seconds, int threads) throws Exception {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(threads + 2);
        try (JedisPooled redis = new JedisPooled(pool, URI.create(servers.redisUri()))) {
            LeasedCache cache = new LeasedCache(RedisScripting.of(redis));
            redis.set("bench:cost:hot", "a cached value of some length, as a serialised row would be");
            double[][] rates = new double[Kind.values().length][2];
            for (int round = 0; round < 2; round++) {
                for (Kind kind : Kind.values()) {
                    rates[kind.ordinal()][round] = measure(redis, cache, kind, seconds, threads, round);
                }
            }
            double plain = Math.max(rates[Kind.PLAIN_MISS.ordinal()][0], rates[Kind.PLAIN_MISS.ordinal()][1]);
            double lease = Math.max(rates[Kind.LEASE_MISS.ordinal()][0], rates[Kind.LEASE_MISS.ordinal()][1]);
            for (Kind kind : Kind.values()) {
                detail("lease cost: %s, %d threads, %d s: %s and %s per second", kind.label, threads, seconds,
                        num(rates[kind.ordinal()][0]), num(rates[kind.ordinal()][1]));
            }
            row("(8) Lease cost: a miss (read + fill), " + threads + " client threads",
                    String.format(Locale.ROOT, "lease-get + lease-fill %s and %s/s; GET + SET %s and %s/s (%.0f %%);"
                            + " hits: lease-get %s/s, GET %s/s", num(rates[Kind.LEASE_MISS.ordinal()][0]),
                            num(rates[Kind.LEASE_MISS.ordinal()][1]), num(rates[Kind.PLAIN_MISS.ordinal()][0]),
                            num(rates[Kind.PLAIN_MISS.ordinal()][1]), 100 * lease / plain,
                            num(Math.max(rates[Kind.LEASE_HIT.ordinal()][0], rates[Kind.LEASE_HIT.ordinal()][1])),
                            num(Math.max(rates[Kind.PLAIN_HIT.ordinal()][0], rates[Kind.PLAIN_HIT.ordinal()][1]))),
                    ">= half of GET + SET", "GET + SET on the same Redis, same run");
            redis.del("bench:cost:hot");
        }
    }

    /** Operations (pairs for a miss) per second. */
    private static double measure(JedisPooled redis, LeasedCache cache, Kind kind, int seconds, int threads,
            int round) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong done = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        String prefix = "bench:cost:" + kind.name().toLowerCase(Locale.ROOT) + ":" + round + ":";
        for (int t = 0; t < threads; t++) {
            String threadPrefix = prefix + t + ":";
            Thread thread = new Thread(() -> {
                long n = 0;
                while (running.get()) {
                    String key = threadPrefix + n;
                    switch (kind) {
                        case PLAIN_MISS -> {
                            if (redis.get(key) == null) {
                                redis.set(key, "v" + n);
                            }
                        }
                        case LEASE_MISS -> {
                            if (cache.leaseGet(key) instanceof LeaseReply.Lease lease) {
                                cache.leaseFill(key, lease.token(), "v" + n);
                            }
                        }
                        case PLAIN_HIT -> redis.get("bench:cost:hot");
                        case LEASE_HIT -> cache.leaseGet("bench:cost:hot");
                    }
                    n++;
                }
                done.addAndGet(n);
            }, "cost-" + t);
            workers.add(thread);
        }
        long start = System.nanoTime();
        workers.forEach(Thread::start);
        BenchSupport.sleep(TimeUnit.SECONDS.toMillis(seconds));
        running.set(false);
        for (Thread thread : workers) {
            thread.join();
        }
        double rate = done.get() / ((System.nanoTime() - start) / 1e9);
        deleteMatching(redis, prefix + "*");
        return rate;
    }

    private static void deleteMatching(JedisPooled redis, String pattern) {
        String cursor = ScanParams.SCAN_POINTER_START;
        ScanParams params = new ScanParams().match(pattern).count(1000);
        do {
            ScanResult<String> page = redis.scan(cursor, params);
            if (!page.getResult().isEmpty()) {
                redis.unlink(page.getResult().toArray(String[]::new));
            }
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
    }
}
