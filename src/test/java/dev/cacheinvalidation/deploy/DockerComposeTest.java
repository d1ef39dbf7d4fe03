package dev.cacheinvalidation.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * docker-compose.yml, checked without a Docker engine: the services, pinned images, the binlog settings MySQL needs,
 * health checks, two workers, and files it mounts that exist.
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
        assertThat(services).containsOnlyKeys("mysql", "redis", "pipeline", "worker");
    }

    @Test
    void everyImageIsPinnedToAVersion() throws IOException {
        for (String name : List.of("mysql", "redis")) {
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
        for (String name : List.of("mysql", "redis", "pipeline", "worker")) {
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
