package dev.cacheinvalidation.it;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import dev.cacheinvalidation.Application;
import dev.cacheinvalidation.Application.Role;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.awaitility.Awaitility;

/**
 * The application, in this JVM: Camel Main set up as {@code java -jar} sets it up ({@link Application#camelMain}),
 * sealed from this JVM's environment and system properties ({@link Application#sealFromProcess}), with some
 * properties overridden for the test: every server it uses is named by the test.
 */
public final class RunningApp implements AutoCloseable {

    public static final Role PIPELINE = Role.PIPELINE;
    public static final Role WORKER = Role.WORKER;
    public static final Role ALL = Role.ALL;

    private final Main main;
    private final Map<String, String> properties;

    private RunningApp(Main main, Map<String, String> properties) {
        this.main = main;
        this.properties = properties;
    }

    /** Properties every test run needs: its own servers, stream, data directory and connector identity. */
    public static Map<String, String> defaults(TestServers servers, String name, java.nio.file.Path dataDir) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cdc.dsn", servers.mysqlDsn());
        props.put("redis.uri", servers.redisUri());
        props.put("cdc.name", name);
        props.put("cdc.serverId", Integer.toString(10_000 + Math.floorMod(name.hashCode(), 50_000)));
        props.put("cdc.dataDir", dataDir.toString());
        props.put("stream.key", "cache:invalidations");
        props.put("worker.blockMs", "500");
        props.put("camel.main.name", name);
        props.put("camel.management.enabled", "false");
        return props;
    }

    public static RunningApp start(Role role, Map<String, String> properties) throws Exception {
        return start(role, properties, context -> {
        });
    }

    /** Starts the application; {@code beforeStart} may add to the context before it starts (event notifiers...). */
    public static RunningApp start(Role role, Map<String, String> properties, Consumer<CamelContext> beforeStart)
            throws Exception {
        Main main = Application.camelMain(role);
        Application.sealFromProcess(main);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport configured) {
                beforeStart.accept(configured.getCamelContext());
            }
        });
        main.addOverrideProperty("camel.main.shutdownTimeout", "20");
        properties.forEach(main::addOverrideProperty);
        main.start();
        RunningApp app = new RunningApp(main, properties);
        if (role != Role.WORKER) {
            app.awaitStreaming();
            app.awaitPositionSaved();
        }
        return app;
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    /** Waits until Debezium reads the binlog; changes committed before that may predate the start position. */
    public void awaitStreaming() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        String name = properties.get("cdc.name");
        Awaitility.await("binlog streaming of " + name).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Set<ObjectName> names = server.queryNames(
                            new ObjectName("debezium.*:type=connector-metrics,context=streaming,server=" + name), null);
                    for (ObjectName objectName : names) {
                        if (Boolean.TRUE.equals(server.getAttribute(objectName, "Connected"))) {
                            return true;
                        }
                    }
                    return false;
                });
    }

    /**
     * Waits until the first binlog position is saved (a heartbeat does it on a quiet database): before that, a
     * restart would start from the then current position.
     */
    public void awaitPositionSaved() {
        if ("redis".equals(properties.get("cdc.offsetStore"))) {
            return;
        }
        java.nio.file.Path offsets = java.nio.file.Path.of(properties.get("cdc.dataDir"), "offsets.dat");
        Awaitility.await("first saved position").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> java.nio.file.Files.exists(offsets));
    }

    public <T> T bean(String name, Class<T> type) {
        return context().getRegistry().lookupByNameAndType(name, type);
    }

    @Override
    public void close() {
        main.stop();
        main.shutdown();
    }
}
