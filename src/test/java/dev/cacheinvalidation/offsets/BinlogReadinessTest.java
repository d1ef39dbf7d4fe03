package dev.cacheinvalidation.offsets;

import dev.cacheinvalidation.health.BinlogHealthCheck;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Binlog readiness as the offset gate sees the reader: from the offset store's first read to its stop. */
class BinlogReadinessTest {

    @Test
    void upWhileTheReaderRunsFromAnAcceptedPositionDownOtherwise() throws Exception {
        OffsetGate gate = new OffsetGate();
        gate.setConnectorName("orders");
        BinlogHealthCheck check = new BinlogHealthCheck();
        check.setOffsetGate(gate);
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            check.setCamelContext(camel);

            assertThat(check.call().getState()).as("before the reader starts").isEqualTo(HealthCheck.State.DOWN);
            gate.binlogReaderRuns(true);
            assertThat(check.call().getState()).isEqualTo(HealthCheck.State.UP);
            assertThat(check.call().getDetails()).containsEntry("connector", "orders");
            gate.positionRefused("the server at db:3306 cannot continue from the saved position");
            HealthCheck.Result refused = check.call();
            assertThat(refused.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(refused.getMessage()).hasValueSatisfying(message -> assertThat(message).contains("cannot continue"));
            gate.positionRefused(null);
            gate.binlogReaderRuns(false);
            assertThat(check.call().getState()).as("after the offset store stopped").isEqualTo(HealthCheck.State.DOWN);
        }
    }
}
