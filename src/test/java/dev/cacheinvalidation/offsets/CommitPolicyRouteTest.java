package dev.cacheinvalidation.offsets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.cacheinvalidation.batching.TransactionBatchStrategy;
import dev.cacheinvalidation.event.ChangeEvent;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The gate's protocol in a route of the pipeline's shape: numbered on entry, handed over as the aggregate completes
 * a batch, reported when the writer's exchange ends on the writer's own thread, past the seda queue that does not
 * wait for it.
 */
class CommitPolicyRouteTest {

    @Test
    void aBatchCountsAsDeliveredOnlyOnceTheWriterCompletesItAndAFailedOneStaysBehind() throws Exception {
        OffsetGate gate = new OffsetGate();
        gate.setConnectorName("commit-policy-route-test");
        gate.setAggregatorId("batches");
        gate.setMaxEventsInFlight(100);
        TransactionBatchStrategy batches = new TransactionBatchStrategy();
        batches.setMaxEvents(2);
        batches.setHardCap(10_000);
        batches.setMaxBytes(4L << 20);
        AtomicBoolean writerFails = new AtomicBoolean();
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            gate.setCamelContext(camel);
            gate.start();
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:binlog").process(gate)
                            .aggregate(constant("batch"), batches).id("batches")
                            .completionPredicate(batches)
                            .bean(gate, "handOver")
                            .to("seda:writer?waitForTaskToComplete=Never");
                    from("seda:writer").process(exchange -> {
                        if (writerFails.get()) {
                            throw new IllegalStateException("the stream refused the batch");
                        }
                    });
                }
            });
            camel.start();
            ProducerTemplate binlog = camel.createProducerTemplate();
            try {
                binlog.sendBody("direct:binlog", rowChange(1));
                binlog.sendBody("direct:binlog", rowChange(2));
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> gate.deliveredUpTo() == 2);
                assertThat(gate.eventsInFlight()).isZero();

                writerFails.set(true);
                binlog.sendBody("direct:binlog", rowChange(3));
                binlog.sendBody("direct:binlog", rowChange(4));
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> gate.problem() != null);

                assertThat(gate.problem()).contains("records 3..4 did not reach the stream")
                        .contains("the stream refused the batch");
                assertThat(gate.deliveredUpTo()).as("the saved position stays before the failed batch").isEqualTo(2);
                assertThat(gate.eventsInFlight()).as("the failed batch left memory").isZero();
            } finally {
                gate.stop();
            }
        }
    }

    private static ChangeEvent rowChange(int id) {
        return new ChangeEvent("u", "shop.users", Map.of("id", id), Map.of("id", id), List.of(),
                new ChangeEvent.SourcePosition("mysql-bin.000001", 1000L + id, 0, null, 1L, 0L, 0L), null);
    }
}
