package dev.cacheinvalidation.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.event.ChangeEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

class InFlightEventsTest {

    private final InFlightEvents inFlight = new InFlightEvents();

    @Test
    void admitsUpToTheLimitWithoutWaiting() {
        inFlight.setLimit(3);
        inFlight.admitOne();
        inFlight.admitOne();
        inFlight.admitOne();

        assertThat(inFlight.inFlight()).isEqualTo(3);
        assertThat(inFlight.waits()).isZero();
    }

    @Test
    void aboveTheLimitWithABatchOnItsWayItWaitsForTheDelivery() throws Exception {
        inFlight.setLimit(2);
        inFlight.admitOne();
        inFlight.admitOne();
        inFlight.handedOver(2);
        CountDownLatch admitted = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            inFlight.admitOne();
            admitted.countDown();
        });
        reader.start();
        try {
            // not a timing assertion: the reader cannot pass until the delivery below
            assertThat(admitted.getCount()).isEqualTo(1);
            waitUntilWaiting(reader);
            assertThat(admitted.getCount()).as("held while the batch is not in the stream").isEqualTo(1);

            inFlight.delivered(2);

            assertThat(admitted.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(inFlight.inFlight()).isEqualTo(1);
            assertThat(inFlight.waits()).isEqualTo(1);
        } finally {
            reader.interrupt();
            reader.join();
        }
    }

    @Test
    void whenEverythingInFlightIsStillInTheAggregatorItLetsTheChangeThrough() {
        inFlight.setLimit(2);
        inFlight.admitOne();
        inFlight.admitOne();

        inFlight.admitOne();

        assertThat(inFlight.inFlight()).as("no delivery could free a place: waiting would never end").isEqualTo(3);
        assertThat(inFlight.waits()).isZero();
    }

    @Test
    void aLimitBelowOneIsRefusedWithTheKeyName() {
        assertThatThrownBy(() -> inFlight.setLimit(0)).hasMessageContaining("batch.maxEventsInFlight");
    }

    private static void waitUntilWaiting(Thread thread) throws InterruptedException {
        while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
            Thread.sleep(1);
        }
    }

    @Test
    void aBatchLeavesTheCountHoweverItsExchangeEndsEvenFailed() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            for (boolean failed : new boolean[] { false, true }) {
                inFlight.admitOne();
                inFlight.admitOne();
                inFlight.handedOver(2);
                EventBatch batch = new EventBatch();
                for (int row = 1; row <= 2; row++) {
                    batch.add(new ChangeEvent("u", "shop.users", Map.of("id", row), Map.of("id", row), new ArrayList<>(),
                            new ChangeEvent.SourcePosition("mysql-bin.000001", 1000L + row, 0, "tx", 1L, 0L), "tx"), row);
                }
                Exchange exchange = new DefaultExchange(camel);
                exchange.setProperty(EventBatch.PROPERTY, batch);

                inFlight.releaseOnCompletion(exchange);
                assertThat(inFlight.inFlight()).as("until the exchange ends").isEqualTo(2);
                if (failed) {
                    exchange.setException(new IllegalStateException("the writer failed"));
                }
                exchange.getExchangeExtension().handoverCompletions().forEach(done -> {
                    if (failed) {
                        done.onFailure(exchange);
                    } else {
                        done.onComplete(exchange);
                    }
                });

                assertThat(inFlight.inFlight()).as(failed ? "failed" : "in a stream").isZero();
            }
        }
    }
}
