package dev.cacheinvalidation.offsets;

import java.lang.management.ManagementFactory;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * Where the offset store finds the gate of its connector. Debezium creates the offset store from a class name and
 * gives it string settings only (Camel turns every configuration value, {@code additionalProperties} included, into
 * a string before the engine sees it), so no object can be handed to it. A running gate is therefore published in
 * the platform MBean server, the registry in which Debezium already publishes the same connector's metrics, under
 * its connector name; the store looks it up there by the name in its settings. Nothing here is static: an entry
 * lives exactly as long as its gate runs, and two pipelines with different {@code cdc.name} have two entries.
 */
public final class RunningGates {

    private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

    /** What a running gate shows in the MBean server: its state for JMX readers, itself for its offset store. */
    public interface Entry {

        long getUndelivered();

        String getProblem();

        OffsetGate getGate();
    }

    /** Publishes the gate under its connector name; a clear error when another running pipeline has that name. */
    ObjectName publish(String connectorName, OffsetGate gate) {
        ObjectName name = nameOf(connectorName);
        Entry entry = new Entry() {
            @Override
            public long getUndelivered() {
                return gate.undelivered();
            }

            @Override
            public String getProblem() {
                return gate.problem();
            }

            @Override
            public OffsetGate getGate() {
                return gate;
            }
        };
        try {
            server.registerMBean(new StandardMBean(entry, Entry.class), name);
        } catch (InstanceAlreadyExistsException e) {
            throw new IllegalStateException("another pipeline in this process already runs the connector '"
                    + connectorName + "': give each pipeline its own cdc.name", e);
        } catch (JMException e) {
            throw new IllegalStateException("cannot publish the offset gate of '" + connectorName + "'", e);
        }
        return name;
    }

    void withdraw(ObjectName name) {
        try {
            server.unregisterMBean(name);
        } catch (InstanceNotFoundException e) {
            // already gone: nothing to withdraw
        } catch (JMException e) {
            throw new IllegalStateException("cannot withdraw the offset gate " + name, e);
        }
    }

    /** The running gate of the connector; a clear error when there is none. */
    OffsetGate find(String connectorName) {
        if (connectorName == null || connectorName.isBlank()) {
            throw new IllegalArgumentException(GatedOffsetBackingStore.CONNECTOR + " is not set: the offset store must"
                    + " name its connector (cdc.name)");
        }
        ObjectName name = nameOf(connectorName);
        if (!server.isRegistered(name)) {
            throw new IllegalStateException("no offset gate runs for the connector '" + connectorName
                    + "': the route must declare an OffsetGate bean whose connectorName is {{cdc.name}}");
        }
        return JMX.newMBeanProxy(server, name, Entry.class).getGate();
    }

    private static ObjectName nameOf(String connectorName) {
        try {
            return new ObjectName("dev.cacheinvalidation:type=OffsetGate,connector=" + ObjectName.quote(connectorName));
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("cdc.name '" + connectorName + "' cannot name an offset gate", e);
        }
    }
}
