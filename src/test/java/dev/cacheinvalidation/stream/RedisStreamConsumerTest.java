package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.camel.Consumer;
import org.apache.camel.Endpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

class RedisStreamConsumerTest {

    @Test
    void aRedeleteThatOthersCouldClaimFirstIsRefusedAtStart() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.addComponent("redis-stream", new RedisStreamComponent());
            context.start();
            // no Redis needed: the check comes before any connection
            Endpoint endpoint = context.getEndpoint(
                    "redis-stream:s?redisUri=redis://127.0.0.1:1&redeleteAfterMs=60000&claimIdleMs=60000");
            Consumer consumer = endpoint.createConsumer(exchange -> {
            });

            assertThatThrownBy(consumer::start)
                    .hasStackTraceContaining("redeleteAfterMs (60000) must be below claimIdleMs (60000)");
        }
    }

    @Test
    void aBoundOnTheAgeOfChangesThatEntriesAwaitingTheirRedeleteWouldPassIsRefusedAtStart() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.addComponent("redis-stream", new RedisStreamComponent());
            context.start();
            // entries wait unacknowledged for their redelete: readiness would go DOWN with each
            Endpoint endpoint = context.getEndpoint(
                    "redis-stream:s?redisUri=redis://127.0.0.1:1&redeleteAfterMs=5000&maxChangeAgeMs=5000");
            Consumer consumer = endpoint.createConsumer(exchange -> {
            });

            assertThatThrownBy(consumer::start)
                    .hasStackTraceContaining("maxChangeAgeMs (5000) must be above redeleteAfterMs (5000)");
        }
    }

    @Test
    void aConsumerWithoutABatchSizeIsRefusedAtStartNamingTheSetting() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.addComponent("redis-stream", new RedisStreamComponent());
            context.start();
            // the batch size has no default of its own: application.properties sets worker.batchSize
            Endpoint endpoint = context.getEndpoint("redis-stream:s?redisUri=redis://127.0.0.1:1");
            Consumer consumer = endpoint.createConsumer(exchange -> {
            });

            assertThatThrownBy(consumer::start).hasStackTraceContaining("batchSize (worker.batchSize) must be 1 or more");
        }
    }
}
