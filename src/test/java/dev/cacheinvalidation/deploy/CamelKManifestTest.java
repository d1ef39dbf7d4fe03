package dev.cacheinvalidation.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The Camel K manifests of {@code deploy/camel-k/}, without a cluster and without servers. What is proven:
 * <ul>
 * <li>the committed files are exactly what {@link CamelKManifests} writes from {@code routes/},
 * {@code application.properties} and {@code pom.xml}: they cannot drift from the routes, the script, the settings
 * or the version;</li>
 * <li>they are valid YAML with the shape Camel K reads: Integrations of camel.apache.org/v1 whose sources are the
 * route files unchanged, the dependencies, the ConfigMap and Secret wiring, health probes on
 * /observe/health/live and /observe/health/ready, one pipeline (Recreate) and two workers;</li>
 * <li>the ConfigMap's settings keep the binlog position and schema history in Redis and point the script to where
 * the script ConfigMap is mounted;</li>
 * <li>Camel's YAML DSL (the version of this build) loads the embedded route texts with the ConfigMap's settings,
 * and both routes start, with their consumers and the stream writer replaced (no database, no Redis): a row change
 * sent into the pipeline goes through the batching and the embedded JavaScript and comes out with its cache keys.</li>
 * </ul>
 * Not proven here: that a Camel K operator accepts the manifests and builds them (the trait fields are those of
 * Camel K 2.9 and later), nor the pods' behaviour against real servers (CamelJBangIT and the it package cover the
 * routes with real servers).
 */
class CamelKManifestTest {

    private static final String REGENERATE = "stale: run `./mvnw -B -q test-compile exec:java"
            + " -Dexec.mainClass=dev.cacheinvalidation.deploy.CamelKManifests -Dexec.classpathScope=test`";

    private static final Schema USER = SchemaBuilder.struct().name("cache-invalidation.app.users.Value")
            .field("id", Schema.INT32_SCHEMA)
            .field("email", Schema.OPTIONAL_STRING_SCHEMA)
            .field("name", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    private final CamelKManifests generator = new CamelKManifests(Path.of(""));

    @TempDir
    Path tempDir;

    @Test
    void committedManifestsAreWhatTheGeneratorWritesFromRoutesSettingsAndPom() throws IOException {
        Map<Path, String> generated = generator.generate();
        for (Map.Entry<Path, String> file : generated.entrySet()) {
            assertThat(file.getKey()).as(file.getKey() + " is missing: " + REGENERATE).exists();
            assertThat(Files.readString(file.getKey(), StandardCharsets.UTF_8)).as(file.getKey() + " is " + REGENERATE)
                    .isEqualTo(file.getValue());
        }
        try (Stream<Path> files = Files.walk(CamelKManifests.DIRECTORY)) {
            assertThat(files.filter(Files::isRegularFile).collect(Collectors.toSet()))
                    .as("manifests the generator does not write").containsExactlyInAnyOrderElementsOf(generated.keySet());
        }
    }

    @Test
    void thePipelineIntegrationEmbedsItsRouteAndReadsSecretConfigMapAndScript() throws IOException {
        Map<String, Object> spec = integrationSpec("pipeline.yaml", CamelKManifests.PIPELINE, 1,
                "cdc-to-stream.camel.yaml");
        assertThat(strings(spec, "dependencies")).contains(
                "mvn:dev.cacheinvalidation:cache-invalidation:" + projectVersion(),
                "mvn:io.debezium:debezium-connector-mariadb:3.4.0.Final");
        Map<String, Object> traits = map(spec, "traits");
        assertThat(strings(map(traits, "mount"), "configs")).containsExactly("configmap:" + CamelKManifests.CONFIG_MAP);
        assertThat(strings(map(traits, "mount"), "resources")).containsExactly("configmap:" + CamelKManifests.SCRIPT_MAP);
        assertThat(strings(map(traits, "environment"), "vars")).containsExactly(
                "MYSQL_DSN=secret:" + CamelKManifests.SECRET + "/MYSQL_DSN",
                "REDIS_URI=secret:" + CamelKManifests.SECRET + "/REDIS_URI");
        assertThat(map(traits, "deployment")).containsEntry("strategy", "Recreate");
        assertProbes(traits);
    }

    @Test
    void theWorkerIntegrationEmbedsItsRouteAndRunsTwoReplicas() throws IOException {
        Map<String, Object> spec = integrationSpec("worker.yaml", CamelKManifests.WORKER, 2,
                "invalidation-worker.camel.yaml");
        assertThat(strings(spec, "dependencies")).contains("mvn:dev.cacheinvalidation:cache-invalidation:" + projectVersion());
        Map<String, Object> traits = map(spec, "traits");
        assertThat(strings(map(traits, "mount"), "configs")).containsExactly("configmap:" + CamelKManifests.CONFIG_MAP);
        assertThat(strings(map(traits, "environment"), "vars"))
                .containsExactly("REDIS_URI=secret:" + CamelKManifests.SECRET + "/REDIS_URI");
        assertProbes(traits);
    }

    @Test
    void podsKeepPositionAndSchemaHistoryInRedisAndTakeEverythingElseFromApplicationProperties() throws IOException {
        Properties pod = podProperties();
        assertThat(pod.getProperty("cdc.offsetStore")).isEqualTo("redis");
        assertThat(pod.getProperty("cdc.schemaHistory")).isEqualTo("dev.cacheinvalidation.offsets.RedisUriSchemaHistory");
        String mounted = "/etc/camel/resources.d/_configmaps/" + CamelKManifests.SCRIPT_MAP + "/";
        assertThat(pod.getProperty("script.file")).isEqualTo(mounted + CamelKManifests.SCRIPT_KEY + "," + mounted
                + CamelKManifests.TABLE_SCRIPT_KEY);
        assertThat(pod.getProperty("worker.consumerName")).isEqualTo("{{env:POD_NAME:}}");
        assertThat(pod.getProperty("cdc.dsn")).isEqualTo("{{envOrFile:MYSQL_DSN:}}");
        assertThat(pod.getProperty("redis.uri")).startsWith("{{envOrFile:REDIS_URI:");
        assertThat(pod.getProperty("camel.management.port")).isEqualTo("8080");

        Properties file = new Properties();
        file.load(new StringReader(read("application.properties")));
        Set<String> expected = new TreeSet<>(file.stringPropertyNames());
        expected.removeIf(key -> CamelKManifests.NOT_IN_POD.contains(key) || key.startsWith(CamelKManifests.NOT_IN_POD_PREFIX));
        assertThat(pod.stringPropertyNames()).containsExactlyInAnyOrderElementsOf(expected);
        for (String key : expected) {
            if (!CamelKManifests.POD_VALUES.containsKey(key)) {
                assertThat(pod.getProperty(key)).as(key).isEqualTo(file.getProperty(key));
            }
        }

        List<Map<String, Object>> config = all("config.yaml");
        assertThat(config).extracting(doc -> map(doc, "metadata").get("name"))
                .containsExactly(CamelKManifests.CONFIG_MAP, CamelKManifests.SCRIPT_MAP);
        assertThat(map(config.get(1), "data")).containsEntry(CamelKManifests.SCRIPT_KEY, read("routes/cache-keys.js"))
                .containsEntry(CamelKManifests.TABLE_SCRIPT_KEY, read("routes/table-keys.js"));
    }

    @Test
    void theExampleSecretHoldsBothAddresses() throws IOException {
        Map<String, Object> secret = single("examples/secret.yaml");
        assertThat(secret).containsEntry("kind", "Secret");
        assertThat(map(secret, "metadata")).containsEntry("name", CamelKManifests.SECRET);
        assertThat(map(secret, "stringData")).containsOnlyKeys("MYSQL_DSN", "REDIS_URI");
    }

    /**
     * The pipeline's embedded route text, loaded by Camel's YAML DSL with the ConfigMap's settings and the ConfigMap's
     * script: it starts, and a row change goes through mapping, batching and processBatch to the stream writer.
     */
    @Test
    void theEmbeddedPipelineRouteLoadsStartsAndRunsAChangeThroughTheEmbeddedScript() throws Exception {
        String route = (String) list(map(single("pipeline.yaml"), "spec"), "sources").get(0).get("content");
        try (CamelContext camel = podContext()) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(ResourceHelper.fromString("cdc-to-stream.camel.yaml", route));
            AdviceWith.adviceWith(camel, "cdc-to-stream", advice -> advice.replaceFromWith("direct:binlog"));
            AdviceWith.adviceWith(camel, "cdc-to-stream-writer",
                    advice -> advice.weaveByToUri("redis-stream:*").replace().to("mock:stream"));
            camel.start();
            assertThat(camel.getRouteController().getRouteStatus("cdc-to-stream")).isEqualTo(ServiceStatus.Started);
            assertThat(camel.getRouteController().getRouteStatus("cdc-to-stream-writer")).isEqualTo(ServiceStatus.Started);

            MockEndpoint stream = camel.getEndpoint("mock:stream", MockEndpoint.class);
            stream.expectedMessageCount(1);
            camel.createProducerTemplate().sendBodyAndHeaders("direct:binlog", user(1, "alice.new@example.com"),
                    Map.of(DebeziumConstants.HEADER_IDENTIFIER, "cache-invalidation.app.users",
                            DebeziumConstants.HEADER_OPERATION, "u",
                            DebeziumConstants.HEADER_BEFORE, user(1, "alice@example.com"),
                            DebeziumConstants.HEADER_SOURCE_METADATA, source()));
            stream.assertIsSatisfied(20_000);

            @SuppressWarnings("unchecked")
            List<String> entries = stream.getExchanges().get(0).getMessage().getBody(List.class);
            assertThat(entries).singleElement().asString().contains("\"_cache_keys\":[\"user:1\","
                    + "\"user:email:alice.new@example.com\",\"user:email:alice@example.com\",\"user:1:orders\","
                    + "\"user:1:profile\"]");
        }
    }

    @Test
    void theEmbeddedWorkerRouteLoadsAndStarts() throws Exception {
        String route = (String) list(map(single("worker.yaml"), "spec"), "sources").get(0).get("content");
        try (CamelContext camel = podContext()) {
            PluginHelper.getRoutesLoader(camel).loadRoutes(
                    ResourceHelper.fromString("invalidation-worker.camel.yaml", route));
            AdviceWith.adviceWith(camel, "invalidation-worker", advice -> advice.replaceFromWith("direct:stream"));
            camel.start();
            assertThat(camel.getRouteController().getRouteStatus("invalidation-worker")).isEqualTo(ServiceStatus.Started);
        }
    }

    private static void assertProbes(Map<String, Object> traits) {
        assertThat(map(traits, "container")).containsEntry("port", 8080);
        assertThat(map(traits, "health")).containsEntry("enabled", true)
                .containsEntry("livenessProbeEnabled", true).containsEntry("livenessProbe", "/observe/health/live")
                .containsEntry("livenessPort", 8080)
                .containsEntry("readinessProbeEnabled", true).containsEntry("readinessProbe", "/observe/health/ready")
                .containsEntry("readinessPort", 8080);
        assertThat(strings(map(traits, "jvm"), "options")).as("an OutOfMemoryError ends the pod's process")
                .contains("-XX:+ExitOnOutOfMemoryError");
    }

    /** A context with the ConfigMap's settings; the script is the ConfigMap's, in a file as the pod has it. */
    private CamelContext podContext() throws IOException {
        Properties settings = podProperties();
        List<String> scripts = new ArrayList<>();
        for (String key : List.of(CamelKManifests.SCRIPT_KEY, CamelKManifests.TABLE_SCRIPT_KEY)) {
            Path script = tempDir.resolve(key);
            Files.writeString(script, (String) map(all("config.yaml").get(1), "data").get(key));
            scripts.add(script.toString());
        }
        settings.setProperty("script.file", String.join(",", scripts));
        CamelContext camel = new DefaultCamelContext();
        camel.getPropertiesComponent().setInitialProperties(settings);
        return camel;
    }

    private Properties podProperties() throws IOException {
        Properties pod = new Properties();
        pod.load(new StringReader((String) map(all("config.yaml").get(0), "data").get("application.properties")));
        return pod;
    }

    private static Struct user(int id, String email) {
        return new Struct(USER).put("id", id).put("email", email).put("name", "Alice");
    }

    private static Map<String, Object> source() {
        Map<String, Object> source = new HashMap<>();
        source.put("db", "app");
        source.put("table", "users");
        source.put("file", "mysql-bin.000001");
        source.put("pos", 4242L);
        source.put("row", 0);
        source.put("server_id", 1L);
        source.put("ts_ms", 1_795_779_994_000L);
        return source;
    }

    /** The spec of the Integration in the file, after checking its kind, name, replicas and its one embedded route. */
    private static Map<String, Object> integrationSpec(String file, String name, int replicas, String route)
            throws IOException {
        Map<String, Object> integration = single(file);
        assertThat(integration).containsEntry("apiVersion", "camel.apache.org/v1").containsEntry("kind", "Integration");
        assertThat(map(integration, "metadata")).containsEntry("name", name);
        Map<String, Object> spec = map(integration, "spec");
        assertThat(spec).containsEntry("replicas", replicas);
        assertThat(list(spec, "sources")).singleElement().satisfies(source -> {
            assertThat(source).containsEntry("name", route);
            assertThat(source).containsEntry("content", read("routes/" + route));
        });
        return spec;
    }

    private static Map<String, Object> single(String file) throws IOException {
        List<Map<String, Object>> documents = all(file);
        assertThat(documents).as(file).hasSize(1);
        return documents.get(0);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> all(String file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        Load yaml = new Load(LoadSettings.builder().build());
        for (Object document : yaml.loadAllFromString(Files.readString(CamelKManifests.DIRECTORY.resolve(file)))) {
            documents.add((Map<String, Object>) document);
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        assertThat(parent).containsKey(key);
        return (Map<String, Object>) parent.get(key);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        assertThat(parent).containsKey(key);
        return (List<Map<String, Object>>) parent.get(key);
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, Object> parent, String key) {
        assertThat(parent).containsKey(key);
        return (List<String>) parent.get(key);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String projectVersion() throws IOException {
        String pom = read("pom.xml");
        int artifact = pom.indexOf("<artifactId>cache-invalidation</artifactId>");
        int start = pom.indexOf("<version>", artifact) + "<version>".length();
        return pom.substring(start, pom.indexOf("</version>", start)).trim();
    }
}
