package dev.cacheinvalidation.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Writes the Camel K manifests of {@code deploy/camel-k/} from the project's own files, so that they cannot drift
 * from them: the routes of {@code routes/} embedded as Integration sources, {@code routes/cache-keys.js} and
 * {@code application.properties} (with the values a pod needs) as ConfigMaps, and the dependencies from
 * {@code pom.xml}. {@link CamelKManifestTest} fails when the committed files differ from what this writes.
 *
 * <p>Run from the project directory: {@code ./mvnw -B -q test-compile exec:java
 * -Dexec.mainClass=dev.cacheinvalidation.deploy.CamelKManifests -Dexec.classpathScope=test}
 */
public final class CamelKManifests {

    /** Where the manifests go, relative to the project directory. */
    public static final Path DIRECTORY = Path.of("deploy", "camel-k");

    static final String PIPELINE = "cache-invalidation-pipeline";
    static final String WORKER = "cache-invalidation-worker";
    static final String CONFIG_MAP = "cache-invalidation-config";
    static final String SCRIPT_MAP = "cache-invalidation-script";
    static final String SECRET = "cache-invalidation-secrets";
    static final String SCRIPT_KEY = "cache-keys.js";
    /** The second script file, loaded after the first: table changes (TRUNCATE, DROP TABLE). */
    static final String TABLE_SCRIPT_KEY = "table-keys.js";
    /** Where Camel K (2.4 and later) mounts the keys of a ConfigMap named in {@code mount.resources}. */
    static final String SCRIPT_DIRECTORY = "/etc/camel/resources.d/_configmaps/" + SCRIPT_MAP + "/";
    static final String SCRIPT_PATH = SCRIPT_DIRECTORY + SCRIPT_KEY + "," + SCRIPT_DIRECTORY + TABLE_SCRIPT_KEY;
    static final int HTTP_PORT = 8080;
    static final String LIVENESS_PATH = "/observe/health/live";
    static final String EXIT_ON_OUT_OF_MEMORY = "-XX:+ExitOnOutOfMemoryError";
    static final String READINESS_PATH = "/observe/health/ready";
    static final int WORKER_REPLICAS = 2;

    /**
     * Values a pod needs instead of those of application.properties: no volume (position and schema history in
     * Redis), the script from its ConfigMap, and one consumer name per pod (every JVM in a container may be pid 1,
     * so the default worker-&lt;pid&gt; would give all replicas the same name; Camel K sets POD_NAME).
     */
    static final Map<String, String> POD_VALUES = Map.of(
            "cdc.offsetStore", "redis",
            "cdc.schemaHistory", "dev.cacheinvalidation.offsets.RedisUriSchemaHistory",
            "script.file", SCRIPT_PATH,
            "worker.consumerName", "{{env:POD_NAME:}}");

    /** Settings of application.properties that have no meaning in a Camel K pod: it gets its routes as sources. */
    static final Set<String> NOT_IN_POD = Set.of("camel.main.routesIncludePattern");
    static final String NOT_IN_POD_PREFIX = "camel.jbang.";

    private static final Pattern PROPERTY = Pattern.compile("^(\\s*)([^#!\\s=:]+)(\\s*[=:]\\s*)(.*)$");

    private final Path project;

    public CamelKManifests(Path project) {
        this.project = project;
    }

    /** Writes the manifests into {@code deploy/camel-k/} of the project directory (the first argument, or "."). */
    public static void main(String[] args) throws IOException {
        Path project = Path.of(args.length > 0 ? args[0] : ".");
        for (Map.Entry<Path, String> file : new CamelKManifests(project).generate().entrySet()) {
            Path target = project.resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
            System.out.println("wrote " + file.getKey());
        }
    }

    /** Every manifest, by its path relative to the project directory. */
    public Map<Path, String> generate() throws IOException {
        Map<Path, String> files = new LinkedHashMap<>();
        files.put(DIRECTORY.resolve("config.yaml"), config());
        files.put(DIRECTORY.resolve("pipeline.yaml"), pipeline());
        files.put(DIRECTORY.resolve("worker.yaml"), worker());
        files.put(DIRECTORY.resolve("examples").resolve("secret.yaml"), secret());
        return files;
    }

    String config() throws IOException {
        return header("application.properties, routes/cache-keys.js and routes/table-keys.js")
                + """
                # The settings of application.properties for a pod (MYSQL_DSN and REDIS_URI come from the Secret
                # cache-invalidation-secrets), and the script the pipeline runs. To run your own script instead:
                #   kubectl create configmap cache-invalidation-script --from-file=cache-keys.js=my-keys.js \\
                #     --from-file=table-keys.js=routes/table-keys.js --dry-run=client -o yaml | kubectl apply -f -
                """
                + configMap(CONFIG_MAP, literal("application.properties", podProperties(), 2))
                + "---\n"
                + configMap(SCRIPT_MAP, literal(SCRIPT_KEY, read("routes/cache-keys.js"), 2)
                        + literal(TABLE_SCRIPT_KEY, read("routes/table-keys.js"), 2));
    }

    private static String configMap(String name, String data) {
        return """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: %s
                  labels:
                    app.kubernetes.io/part-of: cache-invalidation
                data:
                %s""".formatted(name, data);
    }

    String pipeline() throws IOException {
        Pom pom = pom();
        return header("routes/cdc-to-stream.camel.yaml and pom.xml")
                + """
                # The pipeline: binlog -> batches -> processBatch (ConfigMap cache-invalidation-script) -> Redis stream.
                # Exactly one per database: one replica, and Recreate so that an update never runs two binlog readers.
                # The binlog position and the schema history live in Redis (cdc.offsetStore=redis): no volume.
                %s  dependencies:
                    - mvn:dev.cacheinvalidation:cache-invalidation:%s
                    - mvn:io.debezium:debezium-connector-mariadb:%s
                    - mvn:com.mysql:mysql-connector-j:%s
                  traits:
                    mount:
                      configs:
                        - configmap:%s
                      resources:
                        - configmap:%s
                    environment:
                      vars:
                        - MYSQL_DSN=secret:%s/MYSQL_DSN
                        - REDIS_URI=secret:%s/REDIS_URI
                    deployment:
                      strategy: Recreate
                %s""".formatted(integration(PIPELINE, 1, "cdc-to-stream.camel.yaml"), pom.version,
                        pom.debezium, pom.mysqlConnector, CONFIG_MAP, SCRIPT_MAP, SECRET, SECRET,
                        probes());
    }

    String worker() throws IOException {
        Pom pom = pom();
        return header("routes/invalidation-worker.camel.yaml and pom.xml")
                + """
                # The workers: Redis stream -> delete the cache keys -> acknowledge. They share the consumer group;
                # scale with spec.replicas (kubectl scale it/%s --replicas=N).
                %s  dependencies:
                    - mvn:dev.cacheinvalidation:cache-invalidation:%s
                  traits:
                    mount:
                      configs:
                        - configmap:%s
                    environment:
                      vars:
                        - REDIS_URI=secret:%s/REDIS_URI
                %s""".formatted(WORKER, integration(WORKER, WORKER_REPLICAS, "invalidation-worker.camel.yaml"),
                        pom.version, CONFIG_MAP,
                        SECRET, probes());
    }

    /** The head of an Integration: its name, its replicas and its one route of routes/, embedded. */
    private String integration(String name, int replicas, String route) throws IOException {
        return """
                apiVersion: camel.apache.org/v1
                kind: Integration
                metadata:
                  name: %s
                  labels:
                    app.kubernetes.io/part-of: cache-invalidation
                spec:
                  replicas: %d
                  sources:
                    - name: %s
                %s""".formatted(name, replicas, route, literal("content", read("routes/" + route), 6));
    }

    String secret() {
        return """
                # Written by dev.cacheinvalidation.deploy.CamelKManifests: an example, not applied with the others.
                # MYSQL_DSN and REDIS_URI for both Integrations, in the forms of docs/configuration.md. Create the real Secret
                # from your values with
                #   kubectl create secret generic cache-invalidation-secrets \\
                #     --from-literal=MYSQL_DSN='mysql://cdc:...@mysql:3306/app' --from-literal=REDIS_URI='redis://redis:6379'
                apiVersion: v1
                kind: Secret
                metadata:
                  name: %s
                  labels:
                    app.kubernetes.io/part-of: cache-invalidation
                type: Opaque
                stringData:
                  MYSQL_DSN: mysql://cdc:change-me@mysql:3306/app
                  REDIS_URI: redis://redis:6379
                """.formatted(SECRET);
    }

    /**
     * The health trait: liveness and readiness on Camel's management port (camel.management.port), named explicitly
     * (livenessPort and readinessPort exist from Camel K 2.9; newer operators would otherwise probe port 9876).
     */
    private static String probes() {
        return jvm() + """
                    container:
                      port: %d
                    health:
                      enabled: true
                      livenessProbeEnabled: true
                      livenessProbe: %s
                      livenessPort: %d
                      readinessProbeEnabled: true
                      readinessProbe: %s
                      readinessPort: %d
                      readinessInitialDelay: 10
                      readinessPeriod: 10
                """.formatted(HTTP_PORT, LIVENESS_PATH, HTTP_PORT, READINESS_PATH, HTTP_PORT);
    }

    /**
     * The jvm trait: an OutOfMemoryError ends the process, so that Kubernetes restarts the pod and it replays
     * from the saved position instead of running on with threads that died. Nothing for the ahead-of-time cache:
     * the cache must be made by the JVM and for the class path the pod runs, and the operator builds both itself.
     */
    private static String jvm() {
        return """
                    jvm:
                      # no -XX:AOTCache: a cache must be made by the pod's own JVM and class path, which the operator
                      # builds; the Docker image carries one (docs/operations.md: The launcher and the ahead-of-time cache)
                      options:
                        - %s
                """.formatted(EXIT_ON_OUT_OF_MEMORY);
    }

    /** application.properties with the values a pod needs, without what it has no use for. */
    String podProperties() throws IOException {
        List<String> out = new ArrayList<>();
        out.add("# application.properties for a Camel K pod, with other values for "
                + String.join(", ", POD_VALUES.keySet().stream().sorted().toList()));
        out.add("# and without " + String.join(", ", NOT_IN_POD) + " and " + NOT_IN_POD_PREFIX + "*.");
        out.add("");
        for (String line : read("application.properties").split("\n", -1)) {
            Matcher property = PROPERTY.matcher(line);
            if (property.matches()) {
                String key = property.group(2);
                if (NOT_IN_POD.contains(key) || key.startsWith(NOT_IN_POD_PREFIX)) {
                    // the comment lines just above a setting belong to it
                    while (!out.isEmpty() && out.get(out.size() - 1).startsWith("#")) {
                        out.remove(out.size() - 1);
                    }
                    continue;
                }
                if (POD_VALUES.containsKey(key)) {
                    line = property.group(1) + key + " = " + POD_VALUES.get(key);
                }
            }
            out.add(line);
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isBlank()) {
            out.remove(out.size() - 1);
        }
        return String.join("\n", out) + "\n";
    }

    private static String header(String from) {
        return "# Written by dev.cacheinvalidation.deploy.CamelKManifests from " + from + ".\n"
                + "# Do not edit: change those files and run the generator (docs/deployment.md, section \"Camel K\").\n";
    }

    /** {@code key: |} and the text as a YAML literal block, indented by {@code indent} spaces. */
    static String literal(String key, String text, int indent) {
        String pad = " ".repeat(indent);
        String chomping = text.endsWith("\n\n") ? "+" : text.endsWith("\n") ? "" : "-";
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        if (body.startsWith(" ") || body.startsWith("\n")) {
            throw new IllegalArgumentException(key + ": a text starting with a blank needs an indentation indicator");
        }
        StringBuilder yaml = new StringBuilder(pad).append(key).append(": |").append(chomping).append('\n');
        for (String line : body.split("\n", -1)) {
            if (line.indexOf('\t') == 0) {
                throw new IllegalArgumentException(key + ": a line starting with a tab cannot go in a YAML block");
            }
            yaml.append(line.isEmpty() ? "" : pad + "  " + line).append('\n');
        }
        return yaml.toString();
    }

    private String read(String file) throws IOException {
        return Files.readString(project.resolve(file), StandardCharsets.UTF_8).replace("\r\n", "\n");
    }

    private record Pom(String version, String debezium, String mysqlConnector) {
    }

    private Pom pom() throws IOException {
        try {
            Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(project.resolve("pom.xml").toFile()).getDocumentElement();
            Element properties = child(root, "properties");
            return new Pom(text(child(root, "version")), text(child(properties, "debezium.version")),
                    text(child(properties, "mysql-connector.version")));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot read pom.xml: " + e.getMessage(), e);
        }
    }

    private static Element child(Element parent, String name) {
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element;
            }
        }
        throw new IllegalStateException("pom.xml: no <" + name + "> in <" + parent.getTagName() + ">");
    }

    private static String text(Element element) {
        return element.getTextContent().trim();
    }
}
