package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.cacheinvalidation.stream.TrimPoint.Decision;
import dev.cacheinvalidation.stream.TrimPoint.Group;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;

class TrimPointTest {

    private static Group caughtUp(String name, String lastDelivered) {
        return new Group(name, new StreamEntryID(lastDelivered), 0, null);
    }

    private static Group withPending(String name, String lastDelivered, long pending, String oldestPending) {
        return new Group(name, new StreamEntryID(lastDelivered), pending, new StreamEntryID(oldestPending));
    }

    @Test
    void underTheBoundNothingIsTrimmed() {
        Decision decision = TrimPoint.decide(1000, 1000, List.of(caughtUp("g", "5-0")));

        assertThat(decision.trimBefore()).isNull();
        assertThat(decision.reason()).isNull();
    }

    @Test
    void withoutABoundNothingIsTrimmed() {
        assertThat(TrimPoint.decide(0, 5_000_000, List.of(caughtUp("g", "5-0"))).trimBefore()).isNull();
        assertThat(TrimPoint.overBound(0, 5_000_000)).isFalse();
    }

    @Test
    void aGroupWithNothingPendingHasAcknowledgedEverythingItWasGiven() {
        Decision decision = TrimPoint.decide(10, 50, List.of(caughtUp("g", "1700-3")));

        assertThat(decision.trimBefore()).as("MINID removes ids below it: 1700-3 goes too").isEqualTo(new StreamEntryID("1700-4"));
    }

    @Test
    void theOldestPendingEntryStaysEvenWhenTheGroupReadFurther() {
        Decision decision = TrimPoint.decide(10, 50, List.of(withPending("g", "1900-0", 2, "1200-7")));

        assertThat(decision.trimBefore()).isEqualTo(new StreamEntryID("1200-7"));
    }

    @Test
    void theSlowestGroupDecides() {
        Decision decision = TrimPoint.decide(10, 50,
                List.of(caughtUp("fast", "1900-0"), withPending("slow", "1500-0", 1, "1400-2"), caughtUp("medium", "1600-0")));

        assertThat(decision.trimBefore()).isEqualTo(new StreamEntryID("1400-2"));
    }

    @Test
    void aGroupThatReadNothingKeepsEverything() {
        Decision decision = TrimPoint.decide(10, 50, List.of(caughtUp("fast", "1900-0"), caughtUp("new", "0-0")));

        assertThat(decision.trimBefore()).isNull();
        assertThat(decision.reason()).contains("not read any");
    }

    @Test
    void withoutAnyGroupNothingIsAcknowledgedSoNothingIsTrimmedAndItIsSaid() {
        Decision decision = TrimPoint.decide(10, 50, List.of());

        assertThat(decision.trimBefore()).isNull();
        assertThat(decision.reason()).contains("no consumer group");
    }

    @Test
    void aSequenceAtItsLargestValueMovesToTheNextMillisecond() {
        Decision decision = TrimPoint.decide(10, 50, List.of(caughtUp("g", "1700-" + Long.MAX_VALUE)));

        assertThat(decision.trimBefore()).isEqualTo(new StreamEntryID("1701-0"));
    }

    @Test
    void aboveTheBoundAfterTrimmingMeansTheUnacknowledgedPartAloneExceedsIt() {
        assertThat(TrimPoint.overBound(1000, 1001)).isTrue();
        assertThat(TrimPoint.overBound(1000, 1000)).isFalse();
    }
}
