package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

import dev.cacheinvalidation.Application;
import dev.cacheinvalidation.Application.Role;
import org.apache.camel.main.Main;
import org.apache.camel.spi.PropertiesComponent;
import org.junit.jupiter.api.Test;

/**
 * The build runs the integration tests with MYSQL_DSN, REDIS_URI, CACHE_URI and key overrides exported, pointing at
 * decoys ({@link DecoyServers}); these tests show that the decoys are there and what keeps them away.
 */
class SealedEnvironmentIT {

    @Test
    void theTestJvmRunsWithTheDecoysExported() {
        List<String> decoyPorts = Arrays.asList(System.getProperty("decoy.ports", "").split(","));
        assertThat(decoyPorts).hasSize(2).doesNotContain("");
        assertThat(System.getenv("MYSQL_DSN")).endsWith(":" + decoyPorts.get(0) + "/app");
        assertThat(System.getenv("REDIS_URI")).endsWith(":" + decoyPorts.get(1));
        assertThat(System.getenv("CACHE_URI")).endsWith(":" + decoyPorts.get(1));
        assertThat(System.getenv("STREAM_KEY")).isNotBlank();
    }

    @Test
    void aSealedApplicationReadsNothingOfTheEnvironment() throws Exception {
        Main main = Application.camelMain(Role.WORKER);
        Application.sealFromProcess(main);
        main.addOverrideProperty("camel.management.enabled", "false");
        main.addOverrideProperty("redis.uri", "redis://named-by-the-test:6379");
        main.init();
        try {
            PropertiesComponent properties = main.getCamelContext().getPropertiesComponent();
            assertThat(properties.resolveProperty("redis.uri")).hasValue("redis://named-by-the-test:6379");
            assertThat(properties.resolveProperty("cache.uri")).hasValue("redis://named-by-the-test:6379");
            assertThat(properties.resolveProperty("stream.key")).hasValue("cache:invalidations");
            assertThat(properties.resolveProperty("cdc.name")).hasValue("cache-invalidation");
            assertThat(properties.resolveProperty("cdc.dsn")).hasValue("");
        } finally {
            main.shutdown();
        }
    }

    @Test
    void aProcessOfTheTestsGetsNoneOfTheApplicationsVariables() {
        ProcessBuilder builder = AppProcess.sealed(new ProcessBuilder("true"));
        assertThat(builder.environment()).doesNotContainKeys("MYSQL_DSN", "MYSQL_DSN_FILE", "REDIS_URI", "REDIS_URI_FILE",
                "CACHE_URI", "CACHE_URI_FILE", "STREAM_KEY", "CDC_NAME", "CDC_DSN", "WORKER_GROUP");
        assertThat(builder.environment()).containsKey("PATH");
    }
}
