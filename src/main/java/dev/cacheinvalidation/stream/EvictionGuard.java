package dev.cacheinvalidation.stream;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.config.ConfigurationException;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream's Redis must never evict it. Under an {@code allkeys-*} {@code maxmemory-policy}, Redis evicts keys
 * without a TTL too, the stream among them, and every invalidation in it is lost with nothing said. The policy is
 * read from INFO memory (CONFIG may be disabled, as on managed Redis). At start, {@code allkeys-*} is refused
 * (the process ends, naming the policy and the fixes); a Redis that cannot be reached then is checked by the next
 * round. Every {@code evictionCheckMs} after, a policy changed to {@code allkeys-*} is an error in the log each
 * time (one line per Redis, however many producers and consumers use it) and a problem for readiness. {@code volatile-*} and {@code noeviction} are accepted: none of the stream's
 * keys has a TTL.
 */
final class EvictionGuard {

    private static final Logger LOG = LoggerFactory.getLogger(EvictionGuard.class);
    private final GroupCommands client;
    private final String stream;
    private volatile String problem;
    private final long intervalMs;
    /**
     * When the problem of each Redis (named without its password) was last logged, shared by the guards of one
     * component: the guards of one Redis (the producers' and the consumer's) say it once per round, not once each.
     */
    private final Map<String, Long> lastSaid;
    private ScheduledExecutorService checks;

    /** Checks every {@code intervalMs} after the first check (0: none after it). */
    EvictionGuard(GroupCommands client, String stream, long intervalMs, Map<String, Long> lastSaid) {
        this.client = client;
        this.stream = stream;
        this.intervalMs = intervalMs;
        this.lastSaid = lastSaid;
    }

    /** The first check, then one every {@code intervalMs}. */
    void start(CamelContext context, Object owner) {
        List<String> policies;
        try {
            policies = client.evictionPolicies();
        } catch (RuntimeException unreachable) {
            policies = List.of();
        }
        String refusal = refusal(policies);
        if (refusal != null) {
            throw new ConfigurationException(refusal);
        }
        policies.stream().filter(policy -> policy.startsWith("volatile-")).findFirst().ifPresent(policy -> LOG.info(
                "The Redis at {} evicts by maxmemory-policy {}: accepted, none of the keys of stream {} has a TTL",
                client, policy, stream));
        if (intervalMs > 0) {
            checks = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(owner, "eviction-check-" + stream);
            checks.scheduleWithFixedDelay(this::check, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        }
    }

    void stop(CamelContext context) {
        if (checks != null) {
            context.getExecutorServiceManager().shutdownNow(checks);
        }
    }

    /** Why the Redis may not hold the stream now, or null. */
    String problem() {
        return problem;
    }

    void check() {
        try {
            problem = refusal(client.evictionPolicies());
        } catch (RuntimeException unreachable) {
            // the reads and writes report an unreachable Redis; the policy is checked again next round
            return;
        }
        if (problem != null && firstToSayIt(System.currentTimeMillis())) {
            LOG.error(problem);
        }
    }

    /** True unless another guard of the same Redis said its problem in this round (half an interval). */
    boolean firstToSayIt(long nowMs) {
        boolean[] first = {false};
        lastSaid.compute(client.toString(), (redis, saidAt) -> {
            if (saidAt == null || nowMs - saidAt >= intervalMs / 2) {
                first[0] = true;
                return nowMs;
            }
            return saidAt;
        });
        return first[0];
    }

    /** The reason to refuse a Redis with these policies (one per master), or null. */
    String refusal(List<String> policies) {
        for (String policy : policies) {
            if (policy.startsWith("allkeys-")) {
                return "The Redis at " + client + " evicts any key by maxmemory-policy " + policy + ", stream " + stream
                        + " included, which would lose invalidations without a word: set maxmemory-policy noeviction"
                        + " (or a volatile-* policy) there, or give the stream a Redis of its own (REDIS_URI) apart"
                        + " from the cache's (CACHE_URI)";
            }
        }
        return null;
    }
}
