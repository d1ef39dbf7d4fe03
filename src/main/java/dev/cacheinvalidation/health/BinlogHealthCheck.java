package dev.cacheinvalidation.health;

import java.util.Map;

import dev.cacheinvalidation.offsets.OffsetGate;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness of the binlog reader, as its connector's offset gate sees it: UP while Debezium's engine reads from a
 * position the server accepted (from the offset store's first read of the saved position until the store stops),
 * DOWN before that, after the reader stopped, and when the server cannot continue from the saved position.
 */
public class BinlogHealthCheck extends AbstractHealthCheck {

    private OffsetGate offsetGate;

    public BinlogHealthCheck() {
        super("cache-invalidation", "binlog");
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (offsetGate == null) {
            builder.message("no offset gate: the binlog reader's state is unknown").down();
            return;
        }
        builder.detail("connector", offsetGate.connectorName());
        String refusal = offsetGate.positionRefusal();
        if (refusal != null) {
            builder.message(refusal).down();
        } else if (offsetGate.binlogReaderRuns()) {
            builder.up();
        } else {
            builder.message("not reading the binlog").down();
        }
    }

    /** The connector's offset gate, which knows whether its binlog reader runs. */
    public void setOffsetGate(OffsetGate offsetGate) {
        this.offsetGate = offsetGate;
    }
}
