package dev.cacheinvalidation.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

class InFlightEventsTest {

    private static final BooleanSupplier NOT_STOPPING = () -> false;

    private final InFlightEvents inFlight = new InFlightEvents();

    @Test
    void admitsUpToTheLimitWithoutWaiting() {
        inFlight.setLimit(3);
        inFlight.admit(NOT_STOPPING);
        inFlight.admit(NOT_STOPPING);
        inFlight.admit(NOT_STOPPING);

        assertThat(inFlight.inFlight()).isEqualTo(3);
        assertThat(inFlight.waits()).isZero();
    }

    @Test
    void aboveTheLimitWithABatchOnItsWayItWaitsForTheDelivery() throws Exception {
        inFlight.setLimit(2);
        inFlight.admit(NOT_STOPPING);
        inFlight.admit(NOT_STOPPING);
        inFlight.handedOver(2);
        CountDownLatch admitted = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            inFlight.admit(NOT_STOPPING);
            admitted.countDown();
        });
        reader.start();
        try {
            // not a timing assertion: the reader cannot pass until the delivery below
            assertThat(admitted.getCount()).isEqualTo(1);
            waitUntilWaiting(reader);
            assertThat(admitted.getCount()).as("held while the batch is not in the stream").isEqualTo(1);

            inFlight.released(2);

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
        inFlight.admit(NOT_STOPPING);
        inFlight.admit(NOT_STOPPING);

        inFlight.admit(NOT_STOPPING);

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
    void whileStoppingTheChangeIsLetThroughRatherThanWaitingForAWriterThatMayHaveGivenUp() {
        inFlight.setLimit(1);
        inFlight.admit(NOT_STOPPING);
        inFlight.handedOver(1);

        inFlight.admit(() -> true);

        assertThat(inFlight.inFlight()).isEqualTo(2);
    }

    @Test
    void aReleaseNeverTakesTheCountBelowZero() {
        inFlight.admit(NOT_STOPPING);
        inFlight.handedOver(1);

        inFlight.released(5);

        assertThat(inFlight.inFlight()).isZero();
    }
}
