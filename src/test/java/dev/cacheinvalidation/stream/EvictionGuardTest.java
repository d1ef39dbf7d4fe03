package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class EvictionGuardTest {

    @Test
    void aPolicyThatEvictsAnyKeyIsAProblemNamingThePolicy() {
        InMemoryGroup redis = new InMemoryGroup();
        redis.evictionPolicies = List.of("noeviction", "allkeys-lru");
        EvictionGuard guard = new EvictionGuard(redis, "s", 60_000);

        guard.check();

        assertThat(guard.problem()).contains("maxmemory-policy allkeys-lru", "stream s");
    }

    @Test
    void theGuardsOfOneRedisSayItsProblemOncePerRound() {
        InMemoryGroup redis = new InMemoryGroup();
        EvictionGuard producers = new EvictionGuard(redis, "s", 60_000);
        EvictionGuard consumers = new EvictionGuard(redis, "s", 60_000);
        EvictionGuard ofAnotherRedis = new EvictionGuard(new InMemoryGroup(), "s", 60_000);

        assertThat(producers.firstToSayIt(1_000_000)).isTrue();
        assertThat(consumers.firstToSayIt(1_000_050)).isFalse();
        assertThat(ofAnotherRedis.firstToSayIt(1_000_050)).isTrue();
        // the next round
        assertThat(consumers.firstToSayIt(1_060_000)).isTrue();
        assertThat(producers.firstToSayIt(1_060_030)).isFalse();
    }
}
