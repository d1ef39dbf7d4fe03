package dev.cacheinvalidation.jbang;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import javax.xml.parsers.DocumentBuilderFactory;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.SeedScenario;
import dev.cacheinvalidation.it.SeedScenarioCase;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import redis.clients.jedis.Jedis;

/**
 * The routes under Camel JBang, as a user runs them from the repository root:
 * {@code camel run routes/*.yaml application.properties}, with our component and its dependencies (Debezium 3.4
 * with the MariaDB connector, the Redis stores, GraalJS) resolved through {@code camel.jbang.dependencies} in
 * {@code application.properties}, and MYSQL_DSN and REDIS_URI taken from the environment. {@code camel} is
 * {@code scripts/camel-jbang.sh} (the Camel JBang version of {@code jbang/pom.xml}).
 *
 * <p>The user installs our artifact with {@code mvn install} first; {@code mvn verify} runs this test before its
 * install phase, so the test installs the jar just packaged (target/cache-invalidation.jar with pom.xml) into the
 * local Maven repository itself, exactly what {@code mvn install} would put there.
 */
class CamelJBangIT extends SeedScenarioCase {

    /** Generous: on a machine that has never run it, Maven and Camel JBang first download Camel JBang and its jars. */
    private static final Duration STARTUP = Duration.ofSeconds(180);
    private static final Duration DELIVERY = Duration.ofSeconds(30);
    private static final String NAME = "camel-jbang-it";
    private static final List<String> ALICE_KEYS = SeedScenario.aliceKeys("alice.jbang@example.com");

    private static final Path PIPELINE_FILE = Path.of("src/test/resources/deltaforge/cache-invalidation.yaml")
            .toAbsolutePath();

    @TempDir
    Path dataDir;

    /** What every case needs: our artifact, named by application.properties, in the local Maven repository. */
    @BeforeAll
    static void installOurArtifact() throws Exception {
        String artifact = "dev.cacheinvalidation:cache-invalidation:" + projectVersion();
        assertThat(jbangDependencies())
                .as("application.properties must name our artifact for camel run: camel.jbang.dependencies = " + artifact)
                .contains(artifact);
        installPackagedArtifact();
    }

    @Test
    void camelRunOfTheRoutesLoadsThemAndAnUpdateDeletesTheKeysOfTheRow() throws Exception {
        int port = AppProcess.freePort();
        try (AppProcess camel = camelRun(port, Map.of())) {
            awaitStarted(camel);
            assertThat(camel.output()).contains("Apache Camel (JBang)");
            updateDeletesAlicesKeys(camel);
            assertThat(health(port)).as("GET /q/health").contains("\"UP\"");
        }
    }

    /**
     * A DeltaForge user's {@code camel run}: the example's pipeline file named by {@code PIPELINE_FILE}, its settings
     * and its inline script in use, the connector's too (the file here captures no {@code app.products}), and the
     * seed's scenario ends as with {@code java -jar}.
     */
    @Test
    void camelRunWithThePipelineFileOfTheEnvironment() throws Exception {
        Path file = Files.writeString(dataDir.resolve("cache-invalidation.yaml"),
                Files.readString(PIPELINE_FILE).replace("- app.products", "- app.orders"));
        try (AppProcess camel = camelRun(AppProcess.freePort(), Map.of("PIPELINE_FILE", file.toString()))) {
            awaitStarted(camel);
            assertThat(camel.output()).contains("Pipeline file " + file + ": pipeline cache-invalidation of"
                    + " tenant acme", "processor generate-cache-keys: lines 21 to 89 of the file, run as ",
                    "table.include.list = app.users,app.orders,app.inventory")
                    .doesNotContain("cdc-secret");
            updateDeletesAlicesKeys(camel);
        }
    }

    @Test
    void camelRunRefusesAMisspeltKeyOfThePipelineFileNamingItsPathAndLine() throws Exception {
        String text = Files.readString(PIPELINE_FILE).replace("max_events: 100", "max_event: 100");
        Path file = Files.writeString(dataDir.resolve("misspelt.yaml"), text);
        int line = text.lines().toList().indexOf("    max_event: 100") + 1;
        try (AppProcess camel = camelRun(AppProcess.freePort(), Map.of("PIPELINE_FILE", file.toString()))) {
            assertThat(camel.awaitExit(STARTUP)).as("exit code of a refused start").isNotZero();
            assertThat(camel.output()).contains("pipeline file " + file,
                    "spec.batch.max_event: unknown key (line " + line + ")")
                    .doesNotContain("Started cdc-to-stream");
        }
    }

    private static void awaitStarted(AppProcess camel) {
        camel.awaitLine("Started cdc-to-stream", STARTUP);
        camel.awaitLine("Started invalidation-worker", STARTUP);
        camel.awaitLine("Connected to binlog", STARTUP);
    }

    /** The seed's scenario: alice's email changed, her five keys deleted and no other. */
    private void updateDeletesAlicesKeys(AppProcess camel) throws Exception {
        SeedScenario.setKeys(servers, "alice.jbang@example.com");
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE app.users SET email = 'alice.jbang@example.com' WHERE id = 1");
        }
        try (Jedis jedis = servers.redis()) {
            Awaitility.await("the keys of alice deleted").atMost(DELIVERY).pollInterval(Duration.ofMillis(100))
                    .until(() -> ALICE_KEYS.stream().noneMatch(jedis::exists));
            assertThat(SeedScenario.CONTROL).allSatisfy(key -> assertThat(jedis.exists(key)).as(key).isTrue());
        }
        camel.awaitLine("Invalidated 5 keys for app.users", DELIVERY);
    }

    /**
     * {@code scripts/camel-jbang.sh run routes/*.yaml application.properties} through bash, so the glob is the
     * user's; the test only adds its own connector name, data directory, stream and health port, and {@code env} to
     * MYSQL_DSN and REDIS_URI.
     */
    private AppProcess camelRun(int port, Map<String, String> env) throws IOException {
        String serverId = Integer.toString(10_000 + Math.floorMod(NAME.hashCode(), 50_000));
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "exec scripts/camel-jbang.sh run routes/*.yaml application.properties \"$@\"", "camel"));
        command.addAll(List.of("--logging-color=false", "--health", "--port=" + port,
                "--prop=cdc.name=" + NAME,
                "--prop=cdc.serverId=" + serverId,
                "--prop=cdc.dataDir=" + dataDir,
                "--prop=stream.key=" + NAME + ":invalidations",
                "--prop=worker.blockMs=500",
                // Camel 4.12+ would open its management port 8080 too; several processes share this machine
                "--prop=camel.management.enabled=false"));
        Map<String, String> variables = new HashMap<>(env);
        variables.put("MYSQL_DSN", servers.mysqlDsn());
        variables.put("REDIS_URI", servers.redisUri());
        return AppProcess.start(command, variables, Path.of("").toAbsolutePath());
    }

    private static String health(int port) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health"))
                .timeout(Duration.ofSeconds(5)).build();
        String[] body = new String[1];
        Awaitility.await("health UP").atMost(DELIVERY).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> {
                    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                    body[0] = response.body();
                    return response.statusCode() == 200;
                });
        return body[0];
    }

    /** What {@code mvn install} puts into the local repository: the packaged jar and its pom. */
    private static void installPackagedArtifact() throws Exception {
        Path jar = Path.of("target/cache-invalidation.jar");
        assertThat(jar).as("the packaged jar (mvn package)").exists();
        Process mvn = new ProcessBuilder(Path.of("mvnw").toAbsolutePath().toString(), "-B", "-q", "-Dstyle.color=never", "install:install-file",
                "-Dfile=" + jar, "-DpomFile=pom.xml").redirectErrorStream(true).start();
        String output;
        try (InputStream in = mvn.getInputStream()) {
            output = new String(in.readAllBytes());
        }
        assertThat(mvn.waitFor(120, TimeUnit.SECONDS)).as("mvn install:install-file finished").isTrue();
        assertThat(mvn.exitValue()).as("mvn install:install-file: " + output).isZero();
    }

    private static String jbangDependencies() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(reader);
        }
        return properties.getProperty("camel.jbang.dependencies", "");
    }

    private static String projectVersion() throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile())
                .getDocumentElement();
        for (Node child = project.getFirstChild(); child != null; child = child.getNextSibling()) {
            if ("version".equals(child.getNodeName())) {
                return child.getTextContent().trim();
            }
        }
        throw new IllegalStateException("pom.xml has no project version");
    }
}
