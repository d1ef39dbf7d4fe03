package dev.cacheinvalidation.js;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.Synchronization;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class BatchTurnstileTest {

    private final CamelContext camel = new DefaultCamelContext();
    private final BatchTurnstile turnstile = new BatchTurnstile(camel);
    private final List<Long> passed = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        camel.close();
    }

    /** What the unit of work does when an exchange ends: its completions run. */
    private static void complete(Exchange exchange) {
        for (Synchronization completion : exchange.getExchangeExtension().handoverCompletions()) {
            if (exchange.isFailed()) {
                completion.onFailure(exchange);
            } else {
                completion.onComplete(exchange);
            }
        }
    }

    /** Takes the turn of the serial, notes it, and completes the exchange. */
    private Thread batch(long serial, CountDownLatch started) {
        Thread thread = new Thread(() -> {
            Exchange exchange = new DefaultExchange(camel);
            started.countDown();
            turnstile.awaitTurn(exchange, serial);
            passed.add(serial);
            complete(exchange);
        }, "batch-" + serial);
        thread.start();
        return thread;
    }

    @Test
    void batchesThatFinishTheirScriptOutOfOrderGoOnInSerialOrder() throws Exception {
        camel.start();
        CountDownLatch started = new CountDownLatch(3);
        Thread third = batch(2, started);
        Thread second = batch(1, started);
        // both wait: their turn has not come
        await().atMost(10, TimeUnit.SECONDS).until(() -> third.getState() == Thread.State.TIMED_WAITING
                && second.getState() == Thread.State.TIMED_WAITING);
        assertThat(passed).isEmpty();
        Thread first = batch(0, started);
        for (Thread thread : List.of(first, second, third)) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }

        assertThat(passed).containsExactly(0L, 1L, 2L);
    }

    @Test
    void theTurnPassesWhenABatchFailsToo() {
        camel.start();
        Exchange failing = new DefaultExchange(camel);
        turnstile.awaitTurn(failing, 0);
        failing.setException(new IllegalStateException("script failed"));
        complete(failing);

        Exchange next = new DefaultExchange(camel);
        turnstile.awaitTurn(next, 1);
        passed.add(1L);

        assertThat(passed).containsExactly(1L);
    }

    @Test
    void aBatchWithoutSerialDoesNotWait() {
        camel.start();
        turnstile.awaitTurn(new DefaultExchange(camel), -1);
        turnstile.awaitTurn(new DefaultExchange(camel), 0);
    }

    @Test
    void aBatchStillWaitingWhenCamelStopsFailsInsteadOfWaitingForever() {
        camel.start();
        camel.stop();

        assertThatThrownBy(() -> turnstile.awaitTurn(new DefaultExchange(camel), 5))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("batch 5 was not written");
    }
}
