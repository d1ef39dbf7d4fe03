package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The seed's scenario with the packaged application ({@code java -jar target/cache-invalidation.jar}): the
 * UPDATE of alice's email ends in "Invalidated 5 keys for app.users", with our Java worker and with the seed's
 * Node worker reading our stream; and what the jar carries besides its classes.
 */
class PackagedJarIT extends SeedScenarioCase {

    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final List<String> ALICE_KEYS = SeedScenario.aliceKeys("alice.new@example.com");

    @TempDir
    Path dataDir;

    @Test
    void seedScenarioWithTheJavaWorker() throws Exception {
        try (AppProcess app = AppProcess.jar("all", Map.of("cdc.dataDir", dataDir.toString()), env())) {
            seedScenario(app, app);
        }
    }

    @Test
    void seedScenarioWithTheScriptCompiledByTheGraalJit() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "the Graal JIT of target/graal needs Java 21 or newer");
        assumeTrue(Files.isRegularFile(Path.of("target/graal.args")), "target/graal.args is written by mvn package");
        try (AppProcess app = AppProcess.jar(List.of("@target/graal.args"), "all",
                Map.of("cdc.dataDir", dataDir.toString()), env())) {
            app.awaitLine("scripts are compiled by the Graal JIT", STARTUP);
            seedScenario(app, app);
        }
    }

    @Test
    void seedScenarioWithTheSeedsNodeWorker() throws Exception {
        Path nodeWorker = Path.of("examples/node-worker");
        assumeTrue(Files.isDirectory(nodeWorker.resolve("node_modules/ioredis")),
                "the Node worker needs `npm ci --prefix examples/node-worker`");
        try (AppProcess pipeline = AppProcess.jar("pipeline", Map.of("cdc.dataDir", dataDir.toString()), env());
                AppProcess worker = AppProcess.start(List.of("node", "cache-invalidation-worker.js"),
                        Map.of("REDIS_URI", servers.redisUri()), nodeWorker.toAbsolutePath())) {
            worker.awaitLine("Starting cache invalidation worker", STARTUP);
            seedScenario(pipeline, worker);
        }
    }

    @Test
    void aWrongPasswordStopsStartupWithOneClearMessageWithoutThePassword() throws Exception {
        String dsn = servers.mysqlDsn().replace("cdc-secret", "not-the-Password-42");
        try (AppProcess app = AppProcess.jar("pipeline", Map.of("cdc.dataDir", dataDir.toString()),
                Map.of("MYSQL_DSN", dsn, "REDIS_URI", servers.redisUri()))) {
            assertThat(app.awaitExit(STARTUP)).isEqualTo(2);
            assertThat(app.output()).contains("configuration error: the server at", "refused user 'cdc'", "MYSQL_DSN")
                    .doesNotContain("not-the-Password-42");
        }
    }

    @Test
    void startedOutsideTheProjectDirectoryItSaysWhereToRunFrom(@TempDir Path elsewhere) throws Exception {
        try (AppProcess app = AppProcess.ofJar("worker").jar(AppProcess.JAR.toAbsolutePath()).env(env())
                .workDir(elsewhere).start()) {
            assertThat(app.awaitExit(STARTUP)).isEqualTo(2);
            assertThat(app.output()).contains("configuration error: routes/invalidation-worker.camel.yaml not found in "
                    + elsewhere, "run from the directory that holds routes/").doesNotContain("Exception");
        }
    }

    @Test
    void theJarCarriesRoutesAndSettingsWhereNoCamelRuntimeLoadsThemByItself() throws Exception {
        try (JarFile jar = new JarFile(AppProcess.JAR.toFile())) {
            List<String> entries = jar.stream().map(JarEntry::getName).toList();
            assertThat(entries).contains("cache-invalidation/application.properties",
                    "cache-invalidation/routes/cdc-to-stream.camel.yaml",
                    "cache-invalidation/routes/invalidation-worker.camel.yaml", "cache-invalidation/routes/cache-keys.js",
                    "cache-invalidation/routes/table-keys.js");
            // Camel Main reads classpath:application.properties and loads classpath:camel/*: as a dependency of a
            // Camel K integration or of camel run, the jar must bring neither settings nor routes of its own
            assertThat(entries).doesNotContain("application.properties").noneMatch(name -> name.startsWith("camel/")
                    || name.startsWith("routes/"));
        }
    }

    private Map<String, String> env() {
        return Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri());
    }

    /** Once the pipeline reads the binlog: the seed's UPDATE, its keys gone, and the worker's line about them. */
    private void seedScenario(AppProcess pipeline, AppProcess worker) throws Exception {
        pipeline.awaitLine("Connected to binlog", STARTUP);
        runSeedUpdateAndCheckKeys();
        worker.awaitLine("Invalidated 5 keys for app.users", Duration.ofSeconds(20));
    }

    private void runSeedUpdateAndCheckKeys() throws Exception {
        SeedScenario.setKeys(servers, "alice.new@example.com");
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE app.users SET email = 'alice.new@example.com' WHERE id = 1");
        }
        try (Jedis jedis = servers.redis()) {
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> ALICE_KEYS.stream().noneMatch(jedis::exists));
            assertThat(SeedScenario.CONTROL).allSatisfy(key -> assertThat(jedis.exists(key)).as(key).isTrue());
        }
    }
}
