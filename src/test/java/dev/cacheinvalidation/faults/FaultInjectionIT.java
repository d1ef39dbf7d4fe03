package dev.cacheinvalidation.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.cacheinvalidation.faults.FaultInjectionHarness.Scenario;
import dev.cacheinvalidation.it.TestServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault-injection harness, small: the packaged pipeline is killed with SIGKILL once while about 5,000 changes
 * are committed, and started again. Every cache key of a changed row must be gone, every control key must stay, and
 * every committed change must have reached the stream. The full run is {@code bench/fault-injection.sh}.
 */
class FaultInjectionIT {

    @Test
    @Timeout(300)
    void aPipelineKilledWithSigkillDuringTheLoadLosesNoInvalidation() throws Exception {
        FaultInjectionHarness harness = new FaultInjectionHarness(TestServers.local(),
                new FaultInjectionHarness.Options().changes(5_000).kills(1).timeout(Duration.ofSeconds(90)));
        ScenarioResult result;
        try {
            result = harness.run(Scenario.PIPELINE_KILL);
        } finally {
            harness.destroyProcesses();
        }
        System.out.println(result.line());

        assertThat(result.changes()).as(result.line()).isEqualTo(5_000);
        assertThat(result.stillPresent()).as("keys of changed rows still in Redis: " + result.line()).isZero();
        assertThat(result.controlDeleted()).as("control keys deleted: " + result.line()).isZero();
        assertThat(result.streamMissing()).as("committed changes missing from the stream: " + result.line()).isZero();
        assertThat(result.caughtUp()).as("pipeline caught up and group drained: " + result.line()).isTrue();
    }
}
