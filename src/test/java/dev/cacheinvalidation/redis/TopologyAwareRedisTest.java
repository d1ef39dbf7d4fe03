package dev.cacheinvalidation.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.RedisAddress;
import org.junit.jupiter.api.Test;

class TopologyAwareRedisTest {

    @Test
    void aNegativeCountOfReplicasToWaitForIsRefusedNamingTheSetting() {
        // nothing connects until the first command: no Redis needed
        try (TopologyAwareRedis redis = TopologyAwareRedis.at(RedisAddress.parse("redis://127.0.0.1:1"), "test", 1000, 1)) {
            assertThatThrownBy(() -> redis.waitForReplicas(-1, "cache.waitReplicas"))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("cache.waitReplicas is -1");
        }
    }
}
