package dev.cacheinvalidation.offsets;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** Readiness of a connector's offset gate: DOWN with the reason while the saved position cannot follow. */
final class OffsetGateHealthCheck extends AbstractHealthCheck {

    private final OffsetGate gate;

    OffsetGateHealthCheck(String connectorName, OffsetGate gate) {
        super("cache-invalidation", "offset-gate-" + connectorName);
        this.gate = gate;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("undelivered", gate.undelivered());
        String problem = gate.problem();
        if (problem == null) {
            builder.up();
        } else {
            builder.message(problem).down();
        }
    }
}
