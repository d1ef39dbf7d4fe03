package dev.cacheinvalidation.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;

/**
 * The reference of the catch-up and CPU figures: Debezium Server 3.6 (the {@code debezium-server-dist} tar.gz of
 * Maven Central, which {@code bench/run.sh} fetches and unpacks under {@code target/}) with the MariaDB connector
 * and its Redis sink, one stream entry per change, no JavaScript. It reads the same binlog as the pipeline with the
 * same connector settings (poll interval, batch and queue sizes, snapshot mode, file offsets and schema history),
 * on the same JVM as the benchmark, with the JAVA_OPTS its documentation gives for Java 25.
 */
final class DebeziumServerReference {

    /** The unpacked {@code debezium-server} directory (bench/run.sh sets it). */
    static final String HOME_PROPERTY = "bench.debeziumServer";
    /** Debezium Server runs on Java 25 with this (its documentation's JAVA_OPTS). */
    static final String JAVA_OPTS = "--add-opens java.base/java.lang=ALL-UNNAMED";
    /** A replication id of its own: it may read the binlog while a pipeline does. */
    private static final int SERVER_ID = 5402;

    private final Path home;
    private final TestServers servers;

    private DebeziumServerReference(Path home, TestServers servers) {
        this.home = home;
        this.servers = servers;
    }

    /** The installation bench/run.sh unpacked, or a clear error when it is not there. */
    static DebeziumServerReference installed(TestServers servers) {
        String configured = System.getProperty(HOME_PROPERTY, "");
        Path home = Path.of(configured).toAbsolutePath();
        if (configured.isEmpty() || !Files.isDirectory(home.resolve("lib"))) {
            throw new IllegalStateException("Debezium Server is not unpacked (-D" + HOME_PROPERTY + "=" + configured
                    + "): bench/run.sh fetches it; this figure needs it");
        }
        return new DebeziumServerReference(home, servers);
    }

    static boolean available() {
        String configured = System.getProperty(HOME_PROPERTY, "");
        return !configured.isEmpty() && Files.isDirectory(Path.of(configured, "lib"));
    }

    /** The stream its Redis sink writes the changes of a table to. */
    static String stream(String prefix, String table) {
        return prefix + "." + table;
    }

    /**
     * Starts Debezium Server in {@code workDir} (its config/application.properties is written there), with its
     * position and schema history in {@code dataDir} and its streams named {@code prefix.db.table}.
     */
    AppProcess start(String name, Path workDir, Path dataDir, String prefix) throws IOException {
        Files.createDirectories(workDir.resolve("config"));
        Files.createDirectories(dataDir);
        Files.writeString(workDir.resolve("config/application.properties"), configuration(dataDir, prefix));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(JAVA_OPTS.split(" ")));
        // what its run.sh starts: the runner jar, config/lib and lib/* on the class path, the Quarkus main
        String runner;
        try (var files = Files.list(home)) {
            runner = files.map(Path::toString).filter(f -> f.endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no *-runner.jar in " + home));
        }
        command.addAll(List.of("-cp", String.join(":", runner, home.resolve("config/lib").toString(),
                home.resolve("lib").toString() + "/*"), "io.debezium.server.Main"));
        return BenchSupport.process(name, command, Map.of(), workDir);
    }

    private String configuration(Path dataDir, String prefix) throws IOException {
        MysqlDsn dsn = MysqlDsn.parse(servers.mysqlDsn());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("debezium.sink.type", "redis");
        settings.put("debezium.sink.redis.address", "127.0.0.1:" + servers.get("REDIS_PORT"));
        settings.put("debezium.source.connector.class", "io.debezium.connector.mariadb.MariaDbConnector");
        settings.put("debezium.source.database.hostname", dsn.host());
        settings.put("debezium.source.database.port", Integer.toString(dsn.port()));
        settings.put("debezium.source.database.user", dsn.user());
        settings.put("debezium.source.database.password", dsn.password());
        settings.put("debezium.source.database.ssl.mode", "disable");
        settings.put("debezium.source.database.server.id", Integer.toString(SERVER_ID));
        settings.put("debezium.source.topic.prefix", prefix);
        settings.put("debezium.source.database.include.list", "app");
        settings.put("debezium.source.table.include.list", "app.users,app.products,app.orders,app.inventory");
        settings.put("debezium.source.snapshot.mode", "no_data");
        settings.put("debezium.source.offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        settings.put("debezium.source.offset.storage.file.filename", dataDir.resolve("offsets.dat").toString());
        settings.put("debezium.source.offset.flush.interval.ms", "1000");
        settings.put("debezium.source.schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
        settings.put("debezium.source.schema.history.internal.file.filename",
                dataDir.resolve("schema-history.dat").toString());
        settings.put("debezium.source.schema.history.internal.store.only.captured.tables.ddl", "true");
        // the pipeline's connector settings (application.properties: cdc.pollIntervalMs, cdc.maxBatchSize, ...)
        settings.put("debezium.source.poll.interval.ms", "10");
        settings.put("debezium.source.max.batch.size", "4096");
        settings.put("debezium.source.max.queue.size", "8192");
        settings.put("quarkus.http.port", Integer.toString(freePort()));
        settings.put("quarkus.log.console.json", "false");
        return settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
