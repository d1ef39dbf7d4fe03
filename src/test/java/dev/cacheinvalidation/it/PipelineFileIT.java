package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A DeltaForge user's start: the example's pipeline file, unchanged (src/test/resources/deltaforge), MYSQL_DSN and
 * REDIS_URI set, the packaged jar started from an empty working directory ({@code java -jar cache-invalidation.jar
 * pipeline --pipeline FILE}, so routes and application.properties are the jar's). With the example's own Node worker
 * the example's scenario ends in its line, "Invalidated 5 keys for app.users"; so it does with ours, the file named by
 * {@code PIPELINE_FILE}. A file with a key we do not know ends the start with the key's path and line, exit 2.
 */
class PipelineFileIT extends SeedScenarioCase {

    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final Path EXAMPLE = Path.of("src/test/resources/deltaforge/cache-invalidation.yaml").toAbsolutePath();
    private static final List<String> ALICE_KEYS = SeedScenario.aliceKeys("alice.new@example.com");

    @TempDir
    Path emptyDir;

    @Test
    void theExamplesFileFromAnEmptyDirectoryWithTheExamplesNodeWorker() throws Exception {
        Path nodeWorker = Path.of("examples/node-worker");
        assumeTrue(Files.isDirectory(nodeWorker.resolve("node_modules/ioredis")),
                "the Node worker needs `npm ci --prefix examples/node-worker`");
        assertThat(emptyDir).isEmptyDirectory();
        try (AppProcess pipeline = jarFromEmptyDirectory("pipeline").arguments("--pipeline", EXAMPLE.toString())
                .env(env()).start();
                AppProcess worker = AppProcess.start(List.of("node", "cache-invalidation-worker.js"),
                        Map.of("REDIS_URI", servers.redisUri()), nodeWorker.toAbsolutePath())) {
            worker.awaitLine("Starting cache invalidation worker", STARTUP);
            pipeline.awaitLine("Connected to binlog", STARTUP);
            assertThat(pipeline.output()).contains("Pipeline file " + EXAMPLE + ": pipeline cache-invalidation of"
                    + " tenant acme", "processor generate-cache-keys: lines 21 to 89 of the file",
                    "the jar's routes and application.properties (not in the working directory)")
                    .doesNotContain("cdc-secret");

            seedUpdateInvalidatesAlicesKeys();
            worker.awaitLine("Invalidated 5 keys for app.users", Duration.ofSeconds(20));
        }
    }

    @Test
    void theExamplesFileNamedByTheEnvironmentWithOurWorker() throws Exception {
        Map<String, String> env = new HashMap<>(env());
        env.put("PIPELINE_FILE", EXAMPLE.toString());
        try (AppProcess app = jarFromEmptyDirectory("all").env(env).start()) {
            app.awaitLine("Connected to binlog", STARTUP);
            seedUpdateInvalidatesAlicesKeys();
            app.awaitLine("Invalidated 5 keys for app.users", Duration.ofSeconds(20));
        }
    }

    @Test
    void aFileWithAFilterItsOwnScriptAndStream() throws Exception {
        String stream = "filtered-it:invalidations";
        Path file = pipelineOf("filtered-it", "[app.users, app.products]", """
                    - type: filter
                      id: user-updates
                      ops: [update]
                      tables:
                        include: ["app.users"]
                """, "filtered:user:", stream);
        try (Jedis jedis = servers.redis()) {
            jedis.del(stream);
            try (AppProcess app = jarFromEmptyDirectory("pipeline").arguments("--pipeline", file.toString()).env(env())
                    .start()) {
                app.awaitLine("Connected to binlog", STARTUP);
                try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                    statement.executeUpdate("UPDATE app.products SET price = price + 1 WHERE id = 1");
                    statement.executeUpdate("UPDATE app.users SET name = CONCAT(name, '.') WHERE id = 2");
                }
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> jedis.xlen(stream) >= 1);
                Thread.sleep(1_000);
                List<StreamEntry> entries = jedis.xrange(stream, "-", "+");
                // the products change never reached the script, the users change got the file's script's key
                assertThat(entries).hasSize(1);
                assertThat(entries.get(0).getFields().get("event")).contains("\"table\":\"app.users\"",
                        "filtered:user:2");
            }
        }
    }

    @Test
    void twoFilesAreTwoPipelinesInOneProcessEachWithItsTableAndStream() throws Exception {
        Path users = pipelineOf("two-files-users", "app.users", "cache:two-files-users");
        Path products = pipelineOf("two-files-products", "app.products", "cache:two-files-products");
        try (Jedis jedis = servers.redis()) {
            jedis.del("cache:two-files-users", "cache:two-files-products");
            try (AppProcess app = jarFromEmptyDirectory("pipeline").arguments("--pipeline", users.toString(),
                    "--pipeline", products.toString()).env(env()).start()) {
                Awaitility.await("both pipelines reading the binlog").atMost(STARTUP)
                        .until(() -> app.lines("Connected to binlog").size() >= 2);
                assertThat(app.output()).contains("Pipeline two-files-users: data directory data/two-files-users",
                        "Pipeline two-files-products: data directory data/two-files-products");
                try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                    statement.executeUpdate("UPDATE app.products SET price = price + 1 WHERE id = 1");
                    statement.executeUpdate("UPDATE app.users SET name = CONCAT(name, '.') WHERE id = 2");
                }
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> jedis.xlen("cache:two-files-users") >= 1
                        && jedis.xlen("cache:two-files-products") >= 1);
                Thread.sleep(1_000);
                assertThat(jedis.xrange("cache:two-files-users", "-", "+")).singleElement()
                        .satisfies(entry -> assertThat(entry.getFields().get("event"))
                                .contains("\"table\":\"app.users\"", "two-files-users:2"));
                assertThat(jedis.xrange("cache:two-files-products", "-", "+")).singleElement()
                        .satisfies(entry -> assertThat(entry.getFields().get("event"))
                                .contains("\"table\":\"app.products\"", "two-files-products:1"));
            }
        }
    }

    @Test
    void twoFilesNamingOnePipelineAreRefusedNamingBoth() throws Exception {
        Path first = Files.move(pipelineOf("two-files-same", "app.users", "cache:two-files-a"),
                emptyDir.resolve("first.yaml"));
        Path second = pipelineOf("two-files-same", "app.products", "cache:two-files-b");
        try (AppProcess app = jarFromEmptyDirectory("pipeline").arguments("--pipeline", first.toString(),
                "--pipeline", second.toString()).env(env()).start()) {
            assertThat(app.awaitExit(STARTUP)).isEqualTo(2);
            assertThat(app.lines("configuration error")).containsExactly("cache-invalidation: configuration error:"
                    + " pipeline files " + first + " and " + second + " both name the pipeline two-files-same"
                    + " (metadata.name), which keys the saved position and the data directory: give each its own");
        }
    }

    /** A pipeline of one table into its own stream, whose script keys each row as {@code <name>:<id>}. */
    private Path pipelineOf(String name, String table, String stream) throws IOException {
        return pipelineOf(name, "[" + table + "]", "", name + ":", stream);
    }

    /**
     * A pipeline file {@code <name>.yaml} of the tables, with the processors {@code before} ahead of a script
     * that keys each row as {@code <keyPrefix><id>}, writing {@code stream}.
     */
    private Path pipelineOf(String name, String tables, String before, String keyPrefix, String stream)
            throws IOException {
        return Files.writeString(emptyDir.resolve(name + ".yaml"), """
                apiVersion: deltaforge/v1
                kind: Pipeline
                metadata:
                  name: %1$s
                spec:
                  source:
                    type: mysql
                    config:
                      id: app
                      dsn: ${MYSQL_DSN}
                      tables: %2$s
                  processors:
                %3$s    - type: javascript
                      id: own-keys
                      inline: |
                        function processBatch(events) {
                          return events.map(e => {
                            (e.after || e.before)._cache_keys = ['%4$s' + (e.after || e.before).id];
                            return e;
                          });
                        }
                  sinks:
                    - type: redis
                      config:
                        id: own-stream
                        uri: ${REDIS_URI}
                        stream: %5$s
                        envelope:
                          type: native
                        encoding: json
                        required: true
                """.formatted(name, tables, before, keyPrefix, stream));
    }

    @Test
    void anUnknownKeyEndsTheStartWithItsPathAndLine() throws Exception {
        Path file = Files.writeString(emptyDir.resolve("pipeline.yaml"), Files.readString(EXAMPLE)
                .replace("stream: cache:invalidations", "streem: cache:invalidations"));
        try (AppProcess app = jarFromEmptyDirectory("pipeline").arguments("--pipeline", file.toString()).env(env())
                .start()) {
            assertThat(app.awaitExit(STARTUP)).isEqualTo(2);
            assertThat(app.output()).contains("cache-invalidation: configuration error: pipeline file " + file,
                    "spec.sinks[0].config.streem: unknown key (line 98)")
                    .doesNotContain("cdc-secret", "Exception", "Apache Camel");
        }
    }

    private AppProcess.Launch jarFromEmptyDirectory(String role) {
        return AppProcess.ofJar(role).jar(AppProcess.JAR.toAbsolutePath()).workDir(emptyDir);
    }

    /** Only the addresses the file names by ${MYSQL_DSN} and ${REDIS_URI}: AppProcess passes on nothing else. */
    private Map<String, String> env() {
        return Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri());
    }

    /** The example's UPDATE of alice's email: her five keys go, the other rows' keys stay. */
    private void seedUpdateInvalidatesAlicesKeys() throws Exception {
        SeedScenario.setKeys(servers, "alice.new@example.com");
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE app.users SET email = 'alice.new@example.com' WHERE id = 1");
        }
        try (Jedis jedis = servers.redis()) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> ALICE_KEYS.stream().noneMatch(jedis::exists));
            assertThat(SeedScenario.CONTROL).allSatisfy(key -> assertThat(jedis.exists(key)).as(key).isTrue());
        }
    }
}
