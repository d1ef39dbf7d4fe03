package dev.cacheinvalidation.offsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.management.ObjectName;

import dev.cacheinvalidation.batching.TransactionBatchStrategy;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.SourceChange;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Synchronization;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OffsetGateTest {

    private final AtomicLong nowMs = new AtomicLong(1_000);
    private final OffsetGate gate = new OffsetGate(nowMs::get);
    private final List<String> written = new ArrayList<>();

    @AfterEach
    void leaveTheRegistry() {
        gate.stop();
    }

    @Test
    void numbersRecordsInTheOrderTheyArrive() {
        assertThat(gate.arrive()).isEqualTo(1);
        assertThat(gate.arrive()).isEqualTo(2);
        assertThat(gate.arrive()).isEqualTo(3);
        assertThat(gate.undelivered()).isEqualTo(3);
    }

    @Test
    void anOffsetWriteWithNothingWaitingRunsAtOnce() {
        gate.arrive();
        gate.delivered(1, 1);

        gate.whenDelivered(() -> written.add("offset"));

        assertThat(written).containsExactly("offset");
    }

    @Test
    void anOffsetWriteIsHeldUntilEverythingBeforeItIsDelivered() {
        gate.arrive();
        gate.arrive();
        gate.whenDelivered(() -> written.add("after 2"));
        gate.arrive();
        gate.whenDelivered(() -> written.add("after 3"));

        gate.delivered(1, 1);
        assertThat(written).isEmpty();
        gate.delivered(2, 2);
        assertThat(written).containsExactly("after 2");
        gate.delivered(3, 3);
        assertThat(written).containsExactly("after 2", "after 3");
    }

    @Test
    void batchesDeliveredOutOfOrderMoveThePositionOnlyOnceTheGapIsFilled() {
        for (int i = 0; i < 6; i++) {
            gate.arrive();
        }
        gate.whenDelivered(() -> written.add("after 6"));

        gate.delivered(4, 6);
        assertThat(gate.deliveredUpTo()).isZero();
        assertThat(written).isEmpty();

        gate.delivered(1, 3);
        assertThat(gate.deliveredUpTo()).isEqualTo(6);
        assertThat(written).containsExactly("after 6");
    }

    @Test
    void aFailedBatchKeepsThePositionBeforeItAndIsReported() {
        gate.arrive();
        gate.arrive();
        gate.whenDelivered(() -> written.add("after 2"));

        gate.failed(1, 1, "READONLY You can't write against a read only replica");
        gate.delivered(2, 2);

        assertThat(written).isEmpty();
        assertThat(gate.deliveredUpTo()).isZero();
        assertThat(gate.problem()).contains("records 1..1 did not reach the stream").contains("READONLY");
    }

    @Test
    void recordsWaitingLongerThanTheThresholdWithNothingDeliveredAreAProblem() {
        gate.setStuckAfterMs(5_000);
        gate.arrive();
        nowMs.addAndGet(5_000);
        assertThat(gate.problem()).isNull();

        nowMs.addAndGet(1);
        assertThat(gate.problem()).contains("1 records wait for the stream").contains("cdc.gateStuckAfterMs=5000");

        gate.delivered(1, 1);
        assertThat(gate.problem()).isNull();
    }

    @Test
    void aQuietGateIsNoProblemHoweverLongNothingArrives() {
        gate.setStuckAfterMs(5_000);
        gate.arrive();
        gate.delivered(1, 1);
        nowMs.addAndGet(60_000);
        assertThat(gate.problem()).isNull();

        gate.arrive();
        nowMs.addAndGet(1_000);
        assertThat(gate.problem()).isNull();
    }

    @Test
    void stopForgetsWhatWasNotDeliveredSoItIsReadAgainUnderNewNumbers() {
        gate.arrive();
        gate.arrive();
        gate.whenDelivered(() -> written.add("after 2"));
        gate.failed(1, 2, "boom");

        gate.flushBeforeStop();

        assertThat(written).isEmpty();
        assertThat(gate.undelivered()).isZero();
        assertThat(gate.problem()).isNull();
        gate.arrive();
        gate.delivered(3, 3);
        gate.whenDelivered(() -> written.add("after 3"));
        assertThat(written).containsExactly("after 3");
    }

    @Test
    void stopDoesNotWaitForABatchWhoseExchangeFailed() {
        // every reading of this clock moves it 1 ms on: a stop waiting for the batch would read it 10,000 times
        AtomicLong ticks = new AtomicLong();
        OffsetGate ticking = new OffsetGate(ticks::incrementAndGet);
        Exchange exchange = batchOf(ticking.arrive());
        ticking.handOver(exchange);
        exchange.setException(new IllegalStateException("script failed and script.onFailure=fail"));
        for (Synchronization synchronization : exchange.getExchangeExtension().handoverCompletions()) {
            synchronization.onFailure(exchange);
        }

        long before = ticks.get();
        ticking.flushBeforeStop();

        assertThat(ticks.get() - before).isLessThan(100);
    }

    @Test
    void theOffsetStoreFindsTheGateOfItsConnector() {
        gate.setConnectorName("orders");
        gate.start();
        OffsetGate other = new OffsetGate(nowMs::get);
        other.setConnectorName("users");
        other.start();
        try {
            assertThat(ConnectorGates.find("orders")).isSameAs(gate);
            assertThat(ConnectorGates.find("users")).isSameAs(other);
        } finally {
            other.stop();
        }
        assertThatThrownBy(() -> ConnectorGates.find("users")).hasMessageContaining("no offset gate runs for the connector 'users'");
    }

    @Test
    void aRunningGateShowsItsStateInTheMBeanServer() throws Exception {
        gate.setConnectorName("orders");
        gate.start();
        gate.arrive();
        ObjectName name = new ObjectName("dev.cacheinvalidation:type=OffsetGate,connector=\"orders\"");

        assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(name, "Undelivered")).isEqualTo(1L);
        gate.stop();
        assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(name)).as("withdrawn on stop").isFalse();
    }

    @Test
    void twoRunningPipelinesCannotShareAConnectorName() {
        gate.setConnectorName("orders");
        gate.start();
        OffsetGate second = new OffsetGate(nowMs::get);
        second.setConnectorName("orders");

        assertThatThrownBy(second::start).hasMessageContaining("already runs the connector 'orders'");
        assertThat(ConnectorGates.find("orders")).isSameAs(gate);
    }

    @Test
    void anOffsetStoreWithoutConnectorNameGetsAClearError() {
        assertThatThrownBy(() -> ConnectorGates.find(null)).hasMessageContaining(GatedOffsetBackingStore.CONNECTOR);
    }

    @Test
    void aGateWithoutConnectorNameDoesNotStart() {
        assertThatThrownBy(gate::start).hasMessageContaining("connectorName");
    }

    @Test
    void anAggregatorIdNamingNoAggregateStepStopsTheStartWithAClearError() throws Exception {
        try (DefaultCamelContext context = contextWithAggregate("batches")) {
            gate.setCamelContext(context);
            gate.setConnectorName("orders");
            gate.setAggregatorId("batchez");
            gate.start();

            assertThatThrownBy(context::start).hasStackTraceContaining("no aggregate step has that id");
        }
    }

    @Test
    void anAggregatorIdNamingTheAggregateStepStarts() throws Exception {
        try (DefaultCamelContext context = contextWithAggregate("batches")) {
            gate.setCamelContext(context);
            gate.setConnectorName("orders");
            gate.setAggregatorId("batches");
            gate.start();

            context.start();

            assertThat(context.isStarted()).isTrue();
        }
    }

    @Test
    void aBatchHandedOverIsDeliveredAndReleasedWhenItsExchangeCompletes() {
        gate.setMaxEventsInFlight(10);
        Exchange exchange = batchOf(admitted(), admitted());
        gate.handOver(exchange);
        assertThat(gate.eventsInFlight()).as("until the exchange ends").isEqualTo(2);

        exchange.getExchangeExtension().handoverCompletions().forEach(done -> done.onComplete(exchange));

        assertThat(gate.deliveredUpTo()).isEqualTo(2);
        assertThat(gate.eventsInFlight()).isZero();
        assertThat(gate.problem()).isNull();
    }

    @Test
    void aBatchWhoseExchangeFailsStaysUndeliveredButLeavesMemory() {
        Exchange exchange = batchOf(admitted(), admitted());
        gate.handOver(exchange);
        exchange.setException(new IllegalStateException("READONLY You can't write against a read only replica"));

        exchange.getExchangeExtension().handoverCompletions().forEach(done -> done.onFailure(exchange));

        assertThat(gate.deliveredUpTo()).isZero();
        assertThat(gate.eventsInFlight()).as("a failure cannot hold the binlog reader back for ever").isZero();
        assertThat(gate.problem()).contains("records 1..2 did not reach the stream").contains("READONLY");
    }

    @Test
    void aHandOverWithoutABatchNamesTheStepItMustFollow() {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());

        assertThatThrownBy(() -> gate.handOver(exchange)).hasMessageContaining("must follow the aggregate step");
    }

    /** A record entering through the gate's route step, as a row change of its own transaction. */
    private long admitted() {
        Exchange record = new DefaultExchange(new DefaultCamelContext());
        record.getMessage().setBody(rowChange());
        gate.process(record);
        return record.getProperty(SourceChange.SEQUENCE_PROPERTY, Long.class);
    }

    /** The exchange the aggregate step hands over: a batch of one row change per arrival number. */
    private static Exchange batchOf(long... sequences) {
        TransactionBatchStrategy strategy = new TransactionBatchStrategy();
        DefaultCamelContext camel = new DefaultCamelContext();
        Exchange group = null;
        for (long sequence : sequences) {
            Exchange record = new DefaultExchange(camel);
            record.getMessage().setBody(rowChange());
            record.setProperty(SourceChange.SEQUENCE_PROPERTY, sequence);
            group = strategy.aggregate(group, record);
        }
        return group;
    }

    private static ChangeEvent rowChange() {
        return new ChangeEvent("u", "shop.users", Map.of("id", 1), Map.of("id", 1), List.of(),
                new ChangeEvent.SourcePosition("mysql-bin.000001", 1000L, 0, null, 1L, 0L, 0L), null);
    }

    private static DefaultCamelContext contextWithAggregate(String id) throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:in").aggregate(constant("batch"), (oldExchange, newExchange) -> newExchange).id(id)
                        .completionSize(2).log("batch");
            }
        });
        return context;
    }
}
