package dev.cacheinvalidation.offsets;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import javax.management.JMException;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the offset store of a connector meets its {@link OffsetGate}: the running gates, by connector name.
 * <p>
 * Why a static map: Debezium creates the offset store itself, from a class name, and configures it with string
 * settings only (the embedded engine's builder takes properties, and camel-debezium builds that engine inside its
 * consumer), so no object can be handed to the store. The store knows its connector name from its settings
 * ({@value GatedOffsetBackingStore#CONNECTOR}) and finds the gate here. This map is the only mutable static state
 * of the application: an entry lives exactly as long as its gate runs ({@link OffsetGate#start} to
 * {@link OffsetGate#stop}), and two running pipelines may not share a connector name.
 * <p>
 * For operators, a running gate's state (undelivered records, the problem readiness reports) is also shown in the
 * platform MBean server as {@code dev.cacheinvalidation:type=OffsetGate,connector=<name>}; nothing reads it back.
 */
public final class ConnectorGates {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectorGates.class);

    /** The running gates by connector name (see the class comment for why this is static). */
    private static final ConcurrentMap<String, OffsetGate> RUNNING = new ConcurrentHashMap<>();

    private ConnectorGates() {
    }

    /** What JMX shows of a running gate. */
    public interface GateState {

        long getUndelivered();

        String getProblem();
    }

    /** Registers the gate under its connector name; a clear error when another running pipeline has that name. */
    static void publish(String connectorName, OffsetGate gate) {
        if (RUNNING.putIfAbsent(connectorName, gate) != null) {
            throw new IllegalStateException("another pipeline in this process already runs the connector '"
                    + connectorName + "': give each pipeline its own cdc.name");
        }
        GateState state = new GateState() {
            @Override
            public long getUndelivered() {
                return gate.undelivered();
            }

            @Override
            public String getProblem() {
                return gate.problem();
            }
        };
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(new StandardMBean(state, GateState.class),
                    nameOf(connectorName));
        } catch (JMException e) {
            LOG.warn("The state of the offset gate of '{}' is not shown in JMX: {}", connectorName, e.getMessage());
        }
    }

    /** Removes the gate's entry (if it is still this gate's) and its JMX view. */
    static void withdraw(String connectorName, OffsetGate gate) {
        if (RUNNING.remove(connectorName, gate)) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(nameOf(connectorName));
            } catch (JMException e) {
                // not shown (see publish): nothing to remove
            }
        }
    }

    /** The running gate of the connector; a clear error when there is none. */
    static OffsetGate find(String connectorName) {
        if (connectorName == null || connectorName.isBlank()) {
            throw new IllegalArgumentException(GatedOffsetBackingStore.CONNECTOR + " is not set: the offset store must"
                    + " name its connector (cdc.name)");
        }
        OffsetGate gate = RUNNING.get(connectorName);
        if (gate == null) {
            throw new IllegalStateException("no offset gate runs for the connector '" + connectorName
                    + "': the route must declare an OffsetGate bean whose connectorName is {{cdc.name}}");
        }
        return gate;
    }

    private static ObjectName nameOf(String connectorName) throws MalformedObjectNameException {
        return new ObjectName("dev.cacheinvalidation:type=OffsetGate,connector=" + ObjectName.quote(connectorName));
    }
}
