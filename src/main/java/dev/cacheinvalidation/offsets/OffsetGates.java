package dev.cacheinvalidation.offsets;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the offset store finds the gate of its connector. Debezium creates the offset store from a class name and
 * string settings only, so it cannot be handed the gate; it names its connector ({@value #CONNECTOR_SETTING}) and
 * looks the gate up here. Each {@link OffsetGate} joins under its connector name while it runs and leaves on stop,
 * so pipelines with different {@code cdc.name} share a JVM, each with its own gate.
 */
public final class OffsetGates {

    /** Offset store setting naming the connector whose gate holds its writes. */
    public static final String CONNECTOR_SETTING = "offset.storage.gated.connector";

    // the one JVM-wide point: the only way from a class-name-created offset store to the running pipeline
    private static final Map<String, OffsetGate> RUNNING = new ConcurrentHashMap<>();

    private OffsetGates() {
    }

    static void join(String connectorName, OffsetGate gate) {
        RUNNING.compute(connectorName, (name, other) -> {
            if (other != null && other != gate && other.isRunning()) {
                throw new IllegalStateException("another pipeline in this process already runs the connector '"
                        + name + "': give each pipeline its own cdc.name");
            }
            return gate;
        });
    }

    static void leave(String connectorName, OffsetGate gate) {
        RUNNING.remove(connectorName, gate);
    }

    /** The running gate of the connector; a clear error when there is none. */
    static OffsetGate of(String connectorName) {
        if (connectorName == null || connectorName.isBlank()) {
            throw new IllegalArgumentException(CONNECTOR_SETTING + " is not set: the offset store must name its"
                    + " connector (the route sets it to {{cdc.name}})");
        }
        OffsetGate gate = RUNNING.get(connectorName);
        if (gate == null) {
            throw new IllegalStateException("no offset gate runs for the connector '" + connectorName
                    + "': the route must declare an OffsetGate bean whose connectorName is {{cdc.name}}");
        }
        return gate;
    }
}
