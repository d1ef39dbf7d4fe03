package dev.cacheinvalidation.it;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * A {@code prometheus} process of the installed package (Debian: {@code prometheus}), started as any user, on a
 * free loopback port, its data in a directory of its own. It scrapes with the jobs of
 * {@code deploy/prometheus/prometheus.yml}, each job's service discovery replaced by the local targets a test names.
 */
public final class LocalPrometheus implements AutoCloseable {

    /** The compose stack's scrape jobs, whose paths the local configuration keeps. */
    public static final Path CONFIG = Path.of("deploy/prometheus/prometheus.yml");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AppProcess process;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private LocalPrometheus(AppProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * The {@code prometheus} binary: {@code -Dprometheus.binary=...}, else the first on the {@code PATH} or in
     * {@code /usr/bin}, {@code /usr/local/bin}; empty when there is none.
     */
    public static Optional<Path> binary() {
        String configured = System.getProperty("prometheus.binary");
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured));
        }
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "prometheus");
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /**
     * Starts Prometheus scraping every second, with the jobs of {@link #CONFIG}: {@code targets} maps each job's
     * name to the {@code host:port} it scrapes here.
     */
    public static LocalPrometheus start(Path binary, Path dir, Map<String, String> targets) throws IOException {
        Files.createDirectories(dir);
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, localConfig(targets));
        int port = AppProcess.freePort();
        AppProcess process = AppProcess.of(List.of(binary.toString(), "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + dir.resolve("data").toAbsolutePath(), "--web.listen-address=127.0.0.1:" + port))
                .workDir(dir).logFile(dir.resolve("prometheus.log")).name("prometheus").start();
        LocalPrometheus prometheus = new LocalPrometheus(process, port);
        Awaitility.await("prometheus ready on port " + port).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> !process.isAlive() || prometheus.get("/-/ready").statusCode() == 200);
        if (!process.isAlive()) {
            throw new IllegalStateException("prometheus exited at start:\n" + process.tail(30));
        }
        return prometheus;
    }

    /** The jobs of {@link #CONFIG} with their metrics paths, scraping the given targets every second. */
    @SuppressWarnings("unchecked")
    static String localConfig(Map<String, String> targets) throws IOException {
        Map<String, Object> deployed = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(CONFIG));
        StringBuilder yaml = new StringBuilder("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n")
                .append("scrape_configs:\n");
        List<String> jobs = new ArrayList<>();
        for (Object job : (List<Object>) deployed.get("scrape_configs")) {
            Map<String, Object> scrape = (Map<String, Object>) job;
            String name = (String) scrape.get("job_name");
            jobs.add(name);
            if (!targets.containsKey(name)) {
                throw new IllegalArgumentException("no local target for job " + name + " of " + CONFIG);
            }
            yaml.append("  - job_name: ").append(name).append('\n')
                    .append("    metrics_path: ").append(scrape.getOrDefault("metrics_path", "/metrics")).append('\n')
                    .append("    static_configs:\n")
                    .append("      - targets: ['").append(targets.get(name)).append("']\n");
        }
        if (!jobs.containsAll(targets.keySet())) {
            throw new IllegalArgumentException(CONFIG + " has jobs " + jobs + ", not " + targets.keySet());
        }
        return yaml.toString();
    }

    /**
     * An instant query ({@code /api/v1/query}): the result's series, each with its labels ({@code metric}) and
     * {@code value} [time, "number"].
     */
    public JsonNode query(String promql) throws IOException, InterruptedException {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
            throw new IllegalStateException("query " + promql + " failed: " + response.body());
        }
        return body.get("data").get("result");
    }

    /** Each scrape target's job, health and last error ({@code /api/v1/targets}), for a failure message. */
    public String targets() throws IOException, InterruptedException {
        List<String> states = new ArrayList<>();
        for (JsonNode target : JSON.readTree(get("/api/v1/targets").body()).path("data").path("activeTargets")) {
            states.add(target.path("labels").path("job").asText() + " " + target.path("scrapeUrl").asText() + " "
                    + target.path("health").asText() + " " + target.path("lastError").asText());
        }
        return states.toString();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
