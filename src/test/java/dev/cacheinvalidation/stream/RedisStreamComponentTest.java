package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

class RedisStreamComponentTest {

    @Test
    void endpointsTakeTheComponentsRedisUnlessTheySetTheirOwn() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            RedisStreamComponent component = new RedisStreamComponent();
            component.setRedisUri("redis://stream-redis:6379");
            component.setWaitReplicas(1);
            context.addComponent("redis-stream", component);
            context.start();

            RedisStreamConfiguration inherited = context.getEndpoint("redis-stream:a", RedisStreamEndpoint.class)
                    .getConfiguration();
            RedisStreamConfiguration own = context.getEndpoint(
                    "redis-stream:b?redisUri=redis://other:6380&waitReplicas=2", RedisStreamEndpoint.class)
                    .getConfiguration();

            assertThat(inherited.getRedisUri()).isEqualTo("redis://stream-redis:6379");
            assertThat(inherited.getWaitReplicas()).isEqualTo(1);
            assertThat(own.getRedisUri()).isEqualTo("redis://other:6380");
            assertThat(own.getWaitReplicas()).isEqualTo(2);
        }
    }
}
