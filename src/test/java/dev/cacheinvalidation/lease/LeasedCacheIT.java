package dev.cacheinvalidation.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cacheinvalidation.it.TestServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.exceptions.JedisDataException;

/** The lease scripts and {@link LeasedCache} against the build's real Redis. */
class LeasedCacheIT {

    private static final String KEY = "lease-it:user:1";

    static JedisPooled redis;
    static LeasedCache cache;

    @BeforeAll
    static void connect() {
        redis = new JedisPooled(URI.create(TestServers.local().redisUri()));
        cache = new LeasedCache(RedisScripting.of(redis));
    }

    @AfterAll
    static void disconnect() {
        redis.close();
    }

    @BeforeEach
    void clean() {
        redis.del(KEY);
    }

    @Test
    void aMissTakesTheLeaseAndASecondCallerIsBusyUntilTheFill() {
        LeaseReply first = cache.leaseGet(KEY);
        assertThat(first).isInstanceOf(LeaseReply.Lease.class);
        assertThat(cache.leaseGet(KEY)).isEqualTo(new LeaseReply.Busy());

        assertThat(cache.leaseFill(KEY, ((LeaseReply.Lease) first).token(), "alice")).isTrue();

        assertThat(cache.leaseGet(KEY)).isEqualTo(new LeaseReply.Hit("alice"));
        assertThat(redis.pttl(KEY)).as("no TTL by default, the lease's expiry dropped").isEqualTo(-1L);
    }

    @Test
    void repliesHaveTheDocumentedShapes() {
        Object lease = redis.eval(LeaseScript.GET.source(), List.of(KEY), List.of("5000"));
        assertThat(lease).asList().hasSize(2).first().isEqualTo("lease");
        assertThat(redis.eval(LeaseScript.GET.source(), List.of(KEY), List.of("5000")))
                .isEqualTo(List.of("busy", ""));
        String token = (String) ((List<?>) lease).get(1);
        assertThat(redis.eval(LeaseScript.FILL.source(), List.of(KEY), List.of("other", "v", "0"))).isEqualTo(0L);
        assertThat(redis.eval(LeaseScript.FILL.source(), List.of(KEY), List.of(token, "v", "0"))).isEqualTo(1L);
        assertThat(redis.eval(LeaseScript.GET.source(), List.of(KEY), List.of("5000"))).isEqualTo(List.of("hit", "v"));
    }

    @Test
    void aPlainGetOfAKeyUnderLeaseReturnsTheMarkerWithTheLeaseTimeAsExpiry() {
        LeaseReply.Lease lease = (LeaseReply.Lease) cache.leaseGet(KEY);

        assertThat(redis.get(KEY)).isEqualTo("\0lease:" + lease.token());
        assertThat(redis.pttl(KEY)).isBetween(1L, 5000L);
    }

    @Test
    void aDeleteBetweenLeaseAndFillRevokesTheLeaseSoTheOldValueIsNotWritten() {
        LeaseReply.Lease lease = (LeaseReply.Lease) cache.leaseGet(KEY);
        String loadedBeforeTheChange = "alice@old.example";
        redis.del(KEY); // the invalidation of the change

        assertThat(cache.leaseFill(KEY, lease.token(), loadedBeforeTheChange)).isFalse();
        assertThat(redis.exists(KEY)).isFalse();
        assertThat(cache.leaseGet(KEY)).as("the next reader loads afresh").isInstanceOf(LeaseReply.Lease.class);
    }

    @Test
    void anUnlinkRevokesTheLeaseToo() {
        LeaseReply.Lease lease = (LeaseReply.Lease) cache.leaseGet(KEY);
        redis.unlink(KEY);

        assertThat(cache.leaseFill(KEY, lease.token(), "old")).isFalse();
        assertThat(redis.exists(KEY)).isFalse();
    }

    @Test
    void aLeaseTakenAgainAfterADeleteRefusesTheFirstTokenAndAcceptsItsOwn() {
        LeaseReply.Lease first = (LeaseReply.Lease) cache.leaseGet(KEY);
        redis.del(KEY);
        LeaseReply.Lease second = (LeaseReply.Lease) cache.leaseGet(KEY);

        assertThat(second.token()).isNotEqualTo(first.token());
        assertThat(cache.leaseFill(KEY, first.token(), "old")).isFalse();
        assertThat(cache.leaseFill(KEY, second.token(), "new")).isTrue();
        assertThat(redis.get(KEY)).isEqualTo("new");
    }

    @Test
    void anExpiredLeaseRefusesItsFill() throws Exception {
        LeasedCache shortLeases = cache.withLeaseTime(Duration.ofMillis(50));
        LeaseReply.Lease lease = (LeaseReply.Lease) shortLeases.leaseGet(KEY);
        Thread.sleep(120);

        assertThat(shortLeases.leaseFill(KEY, lease.token(), "slow load")).isFalse();
        assertThat(redis.exists(KEY)).isFalse();
    }

    @Test
    void aFillWithATtlStoresItsExpiry() {
        LeasedCache expiring = cache.withTtl(Duration.ofSeconds(60));
        LeaseReply.Lease lease = (LeaseReply.Lease) expiring.leaseGet(KEY);

        assertThat(expiring.leaseFill(KEY, lease.token(), "v")).isTrue();
        assertThat(redis.pttl(KEY)).isBetween(50_000L, 60_000L);
    }

    @Test
    void getLoadsOnceAndServesTheStoredValueAfterwards() {
        AtomicInteger loads = new AtomicInteger();

        assertThat(cache.get(KEY, () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
        assertThat(cache.get(KEY, () -> "v" + loads.incrementAndGet())).isEqualTo("v1");
        assertThat(loads).hasValue(1);
    }

    @Test
    void getLoadsWithoutFillingWhileAnotherCallerHoldsTheLease() {
        cache.leaseGet(KEY); // another caller's lease, never filled
        String marker = redis.get(KEY);

        assertThat(cache.withBusyRetries(1, Duration.ofMillis(1)).get(KEY, () -> "loaded")).isEqualTo("loaded");
        assertThat(redis.get(KEY)).as("the other caller's lease stays").isEqualTo(marker);
    }

    @Test
    void aMissingRowIsReturnedAndNotStored() {
        assertThat(cache.get(KEY, () -> null)).isNull();
        assertThat(redis.get(KEY)).startsWith("\0lease:");
    }

    @Test
    void scriptsFlushedFromTheServerAreLoadedAgain() {
        redis.scriptFlush();

        assertThat(cache.get(KEY, () -> "v")).isEqualTo("v");
        assertThat(redis.scriptExists(LeaseScript.GET.sha1(), KEY)).isTrue();
    }

    @Test
    void badArgumentsGetAClearError() {
        assertThatThrownBy(() -> redis.eval(LeaseScript.GET.source(), List.of(KEY), List.of("soon")))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("lease time in whole milliseconds");
        assertThatThrownBy(() -> redis.eval(LeaseScript.FILL.source(), List.of(KEY), List.of("", "v", "0")))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("token of lease-get");
        assertThatThrownBy(() -> redis.eval(LeaseScript.FILL.source(), List.of(KEY), List.of("t", "v", "-1")))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("TTL in whole milliseconds");
        assertThatThrownBy(() -> redis.eval(LeaseScript.FILL.source(), List.of(KEY), List.of("t", "\0lease:1", "0")))
                .isInstanceOf(JedisDataException.class).hasMessageContaining("must not start with the lease marker");
    }

    /**
     * Readers race writers on a few keys: a reader takes its value from a versioned source, waits up to 20 ms as a
     * slow query would, and fills; a writer changes the source and then deletes the key, as the invalidation does.
     * Once all is quiet, every key still cached must hold the source's current version.
     */
    @Test
    void randomizedRacesLeaveNoKeyOlderThanItsSource() throws Exception {
        int keys = 5;
        Map<String, AtomicInteger> source = new ConcurrentHashMap<>();
        for (int i = 0; i < keys; i++) {
            source.put("lease-it:race:" + i, new AtomicInteger());
            redis.del("lease-it:race:" + i);
        }
        List<String> keyNames = new ArrayList<>(source.keySet());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger refusedFills = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(10);
        List<Future<?>> work = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            work.add(threads.submit(() -> {
                while (running.get()) {
                    String key = keyNames.get(ThreadLocalRandom.current().nextInt(keys));
                    LeaseReply reply = cache.leaseGet(key);
                    if (reply instanceof LeaseReply.Lease lease) {
                        String loaded = Integer.toString(source.get(key).get());
                        sleep(ThreadLocalRandom.current().nextInt(20));
                        if (!cache.leaseFill(key, lease.token(), loaded)) {
                            refusedFills.incrementAndGet();
                        }
                    }
                }
                return null;
            }));
        }
        for (int w = 0; w < 2; w++) {
            work.add(threads.submit(() -> {
                while (running.get()) {
                    String key = keyNames.get(ThreadLocalRandom.current().nextInt(keys));
                    source.get(key).incrementAndGet();
                    sleep(ThreadLocalRandom.current().nextInt(3)); // the pipeline's delay
                    redis.del(key);
                    sleep(ThreadLocalRandom.current().nextInt(5));
                }
                return null;
            }));
        }
        Thread.sleep(3_000);
        running.set(false);
        for (Future<?> f : work) {
            f.get(10, TimeUnit.SECONDS);
        }
        threads.shutdown();

        for (String key : keyNames) {
            String cached = redis.get(key);
            if (cached != null && !cached.startsWith("\0lease:")) {
                assertThat(cached).as("cached %s", key).isEqualTo(Integer.toString(source.get(key).get()));
            }
        }
        assertThat(refusedFills.get()).as("the race did happen: fills were refused").isPositive();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
