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
import java.util.Optional;
import java.util.stream.Stream;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * {@code scripts/run.sh}, the launcher of docs/operations.md and of the Docker image: on Java 25 the image's training
 * command makes an ahead-of-time cache that the JVM accepts, and the seed's scenario runs from it; on Java 17 the
 * launcher runs plain {@code java -jar} and the scenario runs the same.
 */
class LauncherIT extends SeedScenarioCase {

    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final Path LAUNCHER = Path.of("scripts/run.sh").toAbsolutePath();

    @TempDir
    Path work;

    @Test
    void theImagesTrainingCommandMakesACacheThatTheJvmAccepts() throws Exception {
        Path java25 = javaHome(25).orElse(null);
        assumeTrue(java25 != null, "no Java 25 here (the running JDK or one beside it)");
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        assertThat(dockerfile).as("the image runs the same launcher and training command")
                .contains("COPY scripts/run.sh ./bin/run.sh", "RUN ./bin/run.sh train", "ENTRYPOINT [\"/app/bin/run.sh\"]");

        Path cache = work.resolve("app.aot");
        try (AppProcess training = launcher(java25, cache, "", "train")) {
            assertThat(training.awaitExit(Duration.ofSeconds(300))).as(training.output()).isZero();
            assertThat(training.output()).contains("Training run:");
        }
        assertThat(cache).isRegularFile();
        assertThat(Files.size(cache)).isGreaterThan(10_000_000L);

        // AOTMode=on: the JVM refuses to start unless it can use the cache
        try (AppProcess app = launcher(java25, cache, "-XX:AOTMode=on " + properties(), "all")) {
            seedScenario(app);
        }
    }

    @Test
    void onJava17TheLauncherRunsPlainJavaJar() throws Exception {
        Path java17 = javaHome(17).orElse(null);
        assumeTrue(java17 != null, "no Java 17 here (the running JDK or one beside it)");
        Path cache = work.resolve("app.aot");
        try (AppProcess app = launcher(java17, cache, properties(), "all")) {
            seedScenario(app);
        }
        assertThat(cache).as("no cache on Java 17").doesNotExist();
    }

    @Test
    void trainingNeedsJava25AndSaysSo() throws Exception {
        Path java17 = javaHome(17).orElse(null);
        assumeTrue(java17 != null, "no Java 17 here (the running JDK or one beside it)");
        try (AppProcess training = launcher(java17, work.resolve("app.aot"), "", "train")) {
            assertThat(training.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            assertThat(training.output()).contains("the ahead-of-time cache needs Java 25 or later");
        }
    }

    private String properties() {
        // several of our processes run side by side in tests: no fixed HTTP port
        return "-Dcdc.dataDir=" + work.resolve("data") + " -Dcamel.management.enabled=false";
    }

    private AppProcess launcher(Path javaHome, Path cache, String javaOpts, String role) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", javaHome.toString());
        env.put("CACHE_INVALIDATION_JAR", Path.of("target/cache-invalidation.jar").toAbsolutePath().toString());
        env.put("CACHE_INVALIDATION_AOT", cache.toString());
        env.put("JAVA_OPTS", javaOpts);
        if (!"train".equals(role)) {
            // the training runs where the image is built: no database, no Redis
            env.put("MYSQL_DSN", servers.mysqlDsn());
            env.put("REDIS_URI", servers.redisUri());
        }
        return AppProcess.start(List.of("bash", LAUNCHER.toString(), role), env, Path.of("").toAbsolutePath());
    }

    private void seedScenario(AppProcess app) throws Exception {
        app.awaitLine("Connected to binlog", STARTUP);
        SeedScenario.setKeys(servers, "alice.new@example.com");
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE app.users SET email = 'alice.new@example.com' WHERE id = 1");
        }
        app.awaitLine("Invalidated 5 keys for app.users", Duration.ofSeconds(30));
        try (Jedis jedis = servers.redis()) {
            Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> SeedScenario.aliceKeys("alice.new@example.com").stream().noneMatch(jedis::exists));
            assertThat(SeedScenario.CONTROL).allSatisfy(key -> assertThat(jedis.exists(key)).as(key).isTrue());
        }
    }

    /** The running JDK if it has this feature version, else a JDK of that version installed beside it. */
    static Optional<Path> javaHome(int feature) throws IOException {
        Path running = Path.of(System.getProperty("java.home"));
        if (Runtime.version().feature() == feature) {
            return Optional.of(running);
        }
        Path parent = running.getParent();
        if (parent == null) {
            return Optional.empty();
        }
        try (Stream<Path> siblings = Files.list(parent)) {
            return siblings.filter(home -> Files.isExecutable(home.resolve("bin/java")))
                    .filter(home -> feature == releaseFeature(home)).sorted().findFirst();
        }
    }

    private static int releaseFeature(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(version.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not a JDK with a release file
        }
        return -1;
    }
}
