package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The read loop against a stream in memory: what is read when, and what is acknowledged or dead-lettered. */
class GroupReaderTest {

    private final InMemoryGroup redis = new InMemoryGroup();
    private final GroupReader.Shared shared = new GroupReader.Shared(new SimpleMeterRegistry(), Tags.empty());
    /** Each exchange the route saw: the ids, and whether it was the redelete. */
    private final List<String> routed = new ArrayList<>();
    private Set<String> rejectedAlways = Set.of();
    private int failuresLeft;

    private static RedisStreamConfiguration config() {
        RedisStreamConfiguration config = new RedisStreamConfiguration();
        config.setStream("s");
        config.setGroup("g");
        config.setDeadLetterStream("s:dlq");
        config.setBatchSize(10);
        config.setBlockMs(0);
        config.setClaimIdleMs(1000);
        config.setMaxDeliveries(3);
        config.setRedeleteAfterMs(0);
        config.setRetryInitialMs(1);
        config.setRetryMaxMs(1);
        return config;
    }

    private GroupReader reader(String consumer, RedisStreamConfiguration config) {
        return new GroupReader(redis, config, consumer, (messages, name, redelete) -> {
            if (failuresLeft > 0) {
                failuresLeft--;
                throw new IllegalStateException("the cache's Redis is away");
            }
            routed.add(messages.stream().map(StreamMessage::id).toList() + (redelete ? " redelete" : " first"));
            Map<String, String> rejected = new java.util.HashMap<>();
            messages.stream().filter(message -> rejectedAlways.contains(message.id()))
                    .forEach(message -> rejected.put(message.id(), "no key for it"));
            return rejected;
        }, () -> true, shared);
    }

    /** A reader that redeletes after {@code redeleteAfterMs}, through its first read of new entries. */
    private GroupReader readFirstTimeWithRedeleteAfter(long redeleteAfterMs) {
        RedisStreamConfiguration config = config();
        config.setRedeleteAfterMs(redeleteAfterMs);
        GroupReader reader = reader("worker-1", config);
        poll(reader, 3);
        return reader;
    }

    /** First own pending entries, then a claim round, then new entries: the order of the loop's first steps. */
    private static void poll(GroupReader reader, int times) {
        for (int i = 0; i < times; i++) {
            reader.poll();
        }
    }

    @Test
    void pendingEntriesOfAPreviousRunAreReplayedBeforeNewOnes() {
        String a = redis.add("a");
        String b = redis.add("b");
        String c = redis.add("c");
        redis.deliver("worker-1", 2, 0); // read before a restart, never acknowledged

        GroupReader reader = reader("worker-1", config());
        poll(reader, 1);
        assertThat(routed).containsExactly(List.of(a, b) + " first");
        assertThat(redis.acknowledged).containsExactly(a, b);

        poll(reader, 3); // own pending done, nothing to claim, then the new entry
        assertThat(routed).containsExactly(List.of(a, b) + " first", List.of(c) + " first");
        assertThat(redis.acknowledged).containsExactly(a, b, c);
        assertThat(redis.pendingOwners()).isEmpty();
    }

    @Test
    void aPendingEntryTrimmedFromTheStreamIsAcknowledgedWithoutTheRoute() {
        String a = redis.add("a");
        redis.deliver("worker-1", 1, 0);
        redis.trim(a);

        poll(reader("worker-1", config()), 1);

        assertThat(routed).isEmpty();
        assertThat(redis.acknowledged).containsExactly(a);
    }

    @Test
    void entriesADeadConsumerLeftPendingAreClaimedAndProcessed() {
        String a = redis.add("a");
        String b = redis.add("b");
        redis.deliver("worker-gone", 2, 5000); // idle longer than claimIdleMs

        GroupReader reader = reader("worker-2", config());
        poll(reader, 2); // own pending (none), then the claim

        assertThat(routed).containsExactly(List.of(a, b) + " first");
        assertThat(redis.acknowledged).containsExactly(a, b);
        assertThat(redis.pendingOwners()).isEmpty();
    }

    @Test
    void entriesPendingForLessThanClaimIdleMsAreLeftToTheirConsumer() {
        String a = redis.add("a");
        redis.deliver("worker-busy", 1, 0);

        poll(reader("worker-2", config()), 3);

        assertThat(routed).isEmpty();
        assertThat(redis.pendingOwners()).containsExactly(Map.entry(a, "worker-busy"));
    }

    @Test
    void anEntryTheRouteKeepsRejectingIsDeadLetteredAfterMaxDeliveries() {
        String a = redis.add("a");
        String b = redis.add("b");
        rejectedAlways = Set.of(b);

        poll(reader("worker-1", config()), 3);

        assertThat(routed).containsExactly(List.of(a, b) + " first", List.of(b) + " first", List.of(b) + " first");
        assertThat(redis.acknowledged).containsExactly(a, b);
        assertThat(redis.deadLetters.get("s:dlq")).singleElement()
                .satisfies(letter -> assertThat(letter).containsEntry("original_id", b).containsEntry("event", "b")
                        .containsEntry("error", "no key for it"));
        assertThat(shared.acked.count()).isEqualTo(1);
        assertThat(shared.deadLettered.count()).isEqualTo(1);
    }

    @Test
    void aClaimedEntryDeliveredTooOftenAlreadyIsDeadLetteredWithoutTheRoute() {
        String a = redis.add("a");
        redis.deliver("worker-gone", 1, 5000);
        redis.deliveredTimes(a, 3); // the claim makes it 4, above maxDeliveries

        poll(reader("worker-2", config()), 2);

        assertThat(routed).isEmpty();
        assertThat(redis.deadLetters.get("s:dlq")).singleElement().satisfies(letter -> assertThat(letter)
                .containsEntry("error", "delivered 4 times without being acknowledged"));
        assertThat(redis.acknowledged).containsExactly(a);
    }

    @Test
    void aFailingRouteIsRetriedAndNothingIsAcknowledgedBeforeItSucceeds() {
        String a = redis.add("a");
        failuresLeft = 2;

        poll(reader("worker-1", config()), 3);

        assertThat(routed).containsExactly(List.of(a) + " first");
        assertThat(redis.acknowledged).containsExactly(a);
        assertThat(shared.failure).isNull();
    }

    @Test
    void withARedeleteEntriesAreAcknowledgedOnlyAfterTheRouteSawThemAgain() throws InterruptedException {
        String a = redis.add("a");
        GroupReader reader = readFirstTimeWithRedeleteAfter(100);
        assertThat(routed).containsExactly(List.of(a) + " first");
        assertThat(redis.acknowledged).isEmpty();
        assertThat(shared.awaitingRedelete.get()).isEqualTo(1);

        poll(reader, 1); // not due yet: a read of new entries, none
        assertThat(routed).hasSize(1);

        Thread.sleep(150);
        poll(reader, 1);
        assertThat(routed).containsExactly(List.of(a) + " first", List.of(a) + " redelete");
        assertThat(redis.acknowledged).containsExactly(a);
        assertThat(shared.awaitingRedelete.get()).isZero();
    }

    @Test
    void entriesAwaitingTheirRedeleteAreNotProcessedAnewWhenOwnPendingEntriesAreReadAgain() {
        String a = redis.add("a");
        GroupReader reader = readFirstTimeWithRedeleteAfter(60_000);
        assertThat(routed).hasSize(1);

        // a Redis error makes the loop read its own pending entries again, the held one among them
        reader.startOver();
        poll(reader, 2);
        assertThat(routed).hasSize(1);
        assertThat(redis.pendingOwners()).containsKey(a);
    }
}
