package dev.cacheinvalidation.lease;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Read-through caching on the lease protocol ({@code lease-get.lua}, {@code lease-fill.lua}): a miss takes a
 * lease before it loads from the database, and the loaded value is stored only while that lease still stands. The
 * invalidation deletes the key, which revokes the lease, so a value loaded before a change is never written back
 * after its invalidation.
 * <p>
 * Immutable and thread-safe; share one per application. The {@code with...} methods return a changed copy.
 */
public final class LeasedCache {

    private final RedisScripting redis;
    private final Duration leaseTime;
    private final Duration ttl;
    private final int busyRetries;
    private final Duration busyWait;

    public LeasedCache(RedisScripting redis) {
        this(redis, Duration.ofSeconds(5), Duration.ZERO, 3, Duration.ofMillis(20));
    }

    private LeasedCache(RedisScripting redis, Duration leaseTime, Duration ttl, int busyRetries, Duration busyWait) {
        if (leaseTime.toMillis() < 1) {
            throw new IllegalArgumentException("the lease time must be at least 1 ms, was " + leaseTime);
        }
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("the TTL must not be negative, was " + ttl);
        }
        if (busyRetries < 0 || busyWait.isNegative()) {
            throw new IllegalArgumentException("busy retries and wait must not be negative");
        }
        this.redis = redis;
        this.leaseTime = leaseTime;
        this.ttl = ttl;
        this.busyRetries = busyRetries;
        this.busyWait = busyWait;
    }

    /** How long a lease stands: longer than the slowest load, or that load's value is not stored (default 5 s). */
    public LeasedCache withLeaseTime(Duration leaseTime) {
        return new LeasedCache(redis, leaseTime, ttl, busyRetries, busyWait);
    }

    /** Expiry of stored values; zero for none (the default: invalidations keep them current). */
    public LeasedCache withTtl(Duration ttl) {
        return new LeasedCache(redis, leaseTime, ttl, busyRetries, busyWait);
    }

    /**
     * While another caller holds the lease, look again this many times, this long apart (default 3 times, 20 ms),
     * then load without storing.
     */
    public LeasedCache withBusyRetries(int retries, Duration wait) {
        return new LeasedCache(redis, leaseTime, ttl, retries, wait);
    }

    /**
     * The cached value of {@code key}, or the loader's, stored if the lease taken before loading still stands.
     * A loader's null (no such row) is returned and not stored.
     */
    public String get(String key, Supplier<String> loader) {
        for (int attempt = 0; ; attempt++) {
            LeaseReply reply = leaseGet(key);
            if (reply instanceof LeaseReply.Hit hit) {
                return hit.value();
            }
            if (reply instanceof LeaseReply.Lease lease) {
                String value = loader.get();
                if (value != null) {
                    leaseFill(key, lease.token(), value);
                }
                return value;
            }
            if (attempt >= busyRetries) {
                return loader.get();
            }
            pause();
        }
    }

    /** lease-get with this cache's lease time. */
    public LeaseReply leaseGet(String key) {
        return LeaseReply.parse(LeaseScript.GET.run(redis, key, List.of(Long.toString(leaseTime.toMillis()))));
    }

    /** lease-fill with this cache's TTL: true if stored, false if the lease was revoked, expired or replaced. */
    public boolean leaseFill(String key, String token, String value) {
        Object reply = LeaseScript.FILL.run(redis, key, List.of(token, value, Long.toString(ttl.toMillis())));
        if (!(reply instanceof Long stored)) {
            throw new IllegalStateException("lease-fill replied " + reply + ", not 0 or 1");
        }
        return stored == 1L;
    }

    private void pause() {
        try {
            Thread.sleep(busyWait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while another caller held the lease", e);
        }
    }
}
