package dev.cacheinvalidation.health;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness of the binlog reader: UP while Debezium's streaming connection to the server is open (its JMX
 * streaming metrics say Connected), DOWN before it connects and while it reconnects.
 */
public class BinlogHealthCheck extends AbstractHealthCheck {

    private String connectorName = "cache-invalidation";

    public BinlogHealthCheck() {
        super("cache-invalidation", "binlog");
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("connector", connectorName);
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = server.queryNames(
                    new ObjectName("debezium.*:type=connector-metrics,context=streaming,server=" + ObjectName.quote(connectorName)
                            .replace("\"", "")), null);
            for (ObjectName name : names) {
                if (Boolean.TRUE.equals(server.getAttribute(name, "Connected"))) {
                    builder.detail("milliSecondsBehindSource", server.getAttribute(name, "MilliSecondsBehindSource"));
                    builder.up();
                    return;
                }
            }
            builder.message("not connected to the binlog").down();
        } catch (Exception e) {
            builder.message("cannot read the binlog reader's state: " + e.getMessage()).down();
        }
    }

    public void setConnectorName(String connectorName) {
        this.connectorName = connectorName;
    }
}
