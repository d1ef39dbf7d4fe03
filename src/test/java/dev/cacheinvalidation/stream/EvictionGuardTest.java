package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class EvictionGuardTest {

    private final Map<String, Long> said = new HashMap<>();

    @Test
    void aPolicyThatEvictsAnyKeyIsAProblemNamingThePolicy() {
        InMemoryGroup redis = new InMemoryGroup();
        redis.evictionPolicies = List.of("noeviction", "allkeys-lru");
        EvictionGuard guard = new EvictionGuard(redis, "s", 60_000, said);

        guard.check();

        assertThat(guard.problem()).contains("maxmemory-policy allkeys-lru", "stream s");
    }

    @Test
    void theGuardsOfOneRedisSayItsProblemOncePerRound() {
        InMemoryGroup redis = new InMemoryGroup();
        EvictionGuard producers = new EvictionGuard(redis, "s", 60_000, said);
        EvictionGuard consumers = new EvictionGuard(redis, "s", 60_000, said);
        EvictionGuard ofAnotherRedis = new EvictionGuard(new InMemoryGroup(), "s", 60_000, said);

        assertThat(producers.firstToSayIt(1_000_000)).isTrue();
        assertThat(consumers.firstToSayIt(1_000_050)).isFalse();
        assertThat(ofAnotherRedis.firstToSayIt(1_000_050)).isTrue();
        // the next round
        assertThat(consumers.firstToSayIt(1_060_000)).isTrue();
        assertThat(producers.firstToSayIt(1_060_030)).isFalse();
    }
}
