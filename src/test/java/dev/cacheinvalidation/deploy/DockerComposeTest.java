package dev.cacheinvalidation.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * docker-compose.yml, checked without a Docker engine: the services, pinned images, the binlog settings MySQL needs,
 * health checks, two workers, files it mounts that exist, and Prometheus and Grafana wired to the application and
 * to each other.
 */
class DockerComposeTest {

    static Map<String, Object> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        Map<String, Object> compose = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(Path.of("docker-compose.yml")));
        services = (Map<String, Object>) compose.get("services");
    }

    @Test
    void runsMysqlRedisThePipelineAndWorkers() {
        assertThat(services).containsOnlyKeys("mysql", "redis", "pipeline", "worker", "prometheus", "grafana");
    }

    @Test
    void everyImageIsPinnedToAVersion() throws IOException {
        for (String name : List.of("mysql", "redis", "prometheus", "grafana")) {
            assertPinned((String) service(name).get("image"));
        }
        // the application's image is built here, from pinned base images
        assertThat(service("pipeline")).containsKey("build");
        for (String line : Files.readAllLines(Path.of("Dockerfile"))) {
            if (line.startsWith("FROM ")) {
                assertPinned(line.split("\\s+")[1]);
            }
        }
        assertThat((String) service("mysql").get("image")).startsWith("mysql:8.4");
        assertThat((String) service("redis").get("image")).startsWith("redis:7");
    }

    @Test
    void mysqlWritesARowBinlogWithTheSchemaAndTheCdcUser() throws IOException {
        assertThat(String.join(" ", strings(service("mysql").get("command"))))
                .contains("--log-bin", "--binlog-format=ROW", "--binlog-row-image=FULL", "--server-id");
        for (String volume : strings(service("mysql").get("volumes"))) {
            if (volume.startsWith("./")) {
                assertThat(Path.of(volume.substring(2, volume.indexOf(':')))).as(volume).exists();
            }
        }
        assertThat(Files.readString(Path.of("db/docker-grants.sql"))).contains("REPLICATION SLAVE", "REPLICATION CLIENT");
    }

    @Test
    void everyServiceHasAHealthCheckAndTheAppsWaitForHealthyServers() {
        for (String name : List.of("mysql", "redis", "pipeline", "worker", "prometheus", "grafana")) {
            assertThat(service(name)).as(name).containsKey("healthcheck");
        }
        assertThat(service("pipeline").get("depends_on").toString()).contains("mysql", "redis", "service_healthy");
        assertThat(service("worker").get("depends_on").toString()).contains("redis", "service_healthy");
    }

    @Test
    void thePipelineAndTwoWorkersGetTheirAddressesAndRoles() {
        assertThat(strings(service("pipeline").get("command"))).containsExactly("pipeline");
        assertThat(strings(service("worker").get("command"))).containsExactly("worker");
        assertThat(service("pipeline").get("environment").toString()).contains("MYSQL_DSN_FILE", "REDIS_URI");
        assertThat(service("worker").get("environment").toString()).contains("REDIS_URI");
        assertThat(((Map<?, ?>) service("worker").get("deploy")).get("replicas")).isEqualTo(2);
    }

    @Test
    void noPasswordIsAnEnvironmentValueOnlySecretFilesHoldThem() throws IOException {
        for (String name : services.keySet()) {
            assertThat(String.valueOf(service(name).get("environment"))).as(name).doesNotContain("root-secret", "cdc-secret")
                    .doesNotContainPattern("://[^:/@]*:[^@]+@");
        }
        assertThat(Files.readString(Path.of("deploy/compose/secrets/mysql-dsn")).trim())
                .isEqualTo("mysql://cdc:cdc-secret@mysql:3306/app");
        assertThat(Files.readString(Path.of("db/docker-grants.sql"))).contains("IDENTIFIED BY 'cdc-secret'");
        assertThat(service("pipeline").get("secrets").toString()).contains("mysql_dsn");
    }

    @Test
    void everyFileAServiceMountsExists() {
        for (String name : services.keySet()) {
            Object volumes = service(name).get("volumes");
            for (String volume : volumes == null ? List.<String>of() : strings(volumes)) {
                if (volume.startsWith("./")) {
                    assertThat(Path.of(volume.substring(2, volume.indexOf(':')))).as(name + ": " + volume).exists();
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void prometheusScrapesThePipelineAndEveryWorkerOnTheManagementPort() throws IOException {
        assertThat(strings(service("prometheus").get("volumes")))
                .contains("./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
        Map<String, Object> config = (Map<String, Object>) load("deploy/prometheus/prometheus.yml");
        Properties application = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            application.load(reader);
        }
        Map<String, Map<String, Object>> jobs = new LinkedHashMap<>();
        for (Object job : (List<Object>) config.get("scrape_configs")) {
            Map<String, Object> scrape = (Map<String, Object>) job;
            jobs.put((String) scrape.get("job_name"), scrape);
        }
        assertThat(jobs).containsOnlyKeys("pipeline", "worker");
        jobs.forEach((name, scrape) -> {
            assertThat(scrape.get("metrics_path")).as(name).isEqualTo("/observe/metrics");
            // one target per container of the service: the worker runs two replicas
            Map<String, Object> discovery = ((List<Map<String, Object>>) scrape.get("dns_sd_configs")).get(0);
            assertThat(strings(discovery.get("names"))).as(name).containsExactly(name);
            assertThat(discovery.get("port")).as(name)
                    .isEqualTo(Integer.parseInt(application.getProperty("camel.management.port")));
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void grafanaOpensTheDashboardOnThePrometheusOfTheCompose() throws IOException {
        Map<String, Object> grafana = service("grafana");
        assertThat(strings(grafana.get("volumes"))).contains(
                "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
                "./deploy/grafana/cache-invalidation.json:/etc/grafana/dashboards/cache-invalidation.json:ro");
        assertThat(((Map<String, Object>) grafana.get("environment")).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"))
                .isEqualTo("/etc/grafana/dashboards/cache-invalidation.json");
        assertThat(grafana.get("depends_on").toString()).contains("prometheus", "service_healthy");

        Map<String, Object> provider = ((List<Map<String, Object>>) ((Map<String, Object>) load(
                "deploy/grafana/provisioning/dashboards/cache-invalidation.yaml")).get("providers")).get(0);
        assertThat(((Map<String, Object>) provider.get("options")).get("path")).isEqualTo("/etc/grafana/dashboards");
        Map<String, Object> source = ((List<Map<String, Object>>) ((Map<String, Object>) load(
                "deploy/grafana/provisioning/datasources/prometheus.yaml")).get("datasources")).get(0);
        assertThat(source.get("url")).isEqualTo("http://prometheus:9090");
        assertThat(strings(service("prometheus").get("ports")).get(0)).endsWith(":9090");

        // every panel and variable of the dashboard uses that data source
        String dashboard = Files.readString(Path.of("deploy/grafana/cache-invalidation.json"));
        JsonNode json = new ObjectMapper().readTree(dashboard);
        List<JsonNode> users = new ArrayList<>();
        json.get("panels").forEach(panel -> {
            if (!"row".equals(panel.get("type").asText())) {
                users.add(panel);
            }
        });
        json.get("templating").get("list").forEach(users::add);
        for (JsonNode user : users) {
            assertThat(user.get("datasource").get("uid").asText()).as(user.get("title") + "")
                    .isEqualTo(source.get("uid"));
            if (user.has("targets")) {
                user.get("targets").forEach(target -> assertThat(target.get("datasource").get("uid").asText())
                        .isEqualTo(source.get("uid")));
            }
        }
    }

    private static Object load(String file) throws IOException {
        return new Load(LoadSettings.builder().build()).loadFromString(Files.readString(Path.of(file)));
    }

    private static void assertPinned(String image) {
        assertThat(image).matches("[\\w./-]+:[\\w.-]*\\d[\\w.-]*").doesNotEndWith(":latest");
    }

    /** A service with the YAML merge key ({@code <<: *app}) resolved, as docker compose does. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        Map<String, Object> service = new LinkedHashMap<>();
        Map<String, Object> raw = (Map<String, Object>) services.get(name);
        if (raw.get("<<") instanceof Map<?, ?> base) {
            service.putAll((Map<String, Object>) base);
        }
        raw.forEach((k, v) -> {
            if (!"<<".equals(k)) {
                service.put(k, v);
            }
        });
        return service;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object value) {
        return (List<String>) value;
    }
}
