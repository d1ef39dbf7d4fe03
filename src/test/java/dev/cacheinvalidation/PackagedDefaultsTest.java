package dev.cacheinvalidation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.cacheinvalidation.Application.Role;
import org.junit.jupiter.api.Test;

/**
 * The copies of routes/ and application.properties the build puts under cache-invalidation/ of the class path (and
 * so of the jar), which a start with a pipeline file uses where the working directory lacks them: the project's
 * files unchanged, and the roles' routes found there.
 */
class PackagedDefaultsTest {

    @Test
    void theClassPathHoldsTheRoutesScriptsAndSettingsAsTheProjectHasThem() throws IOException {
        List<Path> files = new ArrayList<>(List.of(Path.of("application.properties")));
        try (DirectoryStream<Path> routes = Files.newDirectoryStream(Path.of("routes"), "*.{camel.yaml,js}")) {
            routes.forEach(files::add);
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(5);
        for (Path file : files) {
            String resource = Application.PACKAGED + file.toString().replace('\\', '/');
            try (InputStream in = Application.class.getClassLoader().getResourceAsStream(resource)) {
                assertThat(in).as(resource + " (mvn process-resources)").isNotNull();
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(resource)
                        .isEqualTo(Files.readString(file));
            }
        }
    }

    @Test
    void eachRoleLoadsItsPackagedRoutesByName() {
        assertThat(Role.PIPELINE.routesIncludePattern(true))
                .isEqualTo("classpath:cache-invalidation/routes/cdc-to-stream.camel.yaml");
        assertThat(Role.WORKER.routesIncludePattern(true))
                .isEqualTo("classpath:cache-invalidation/routes/invalidation-worker.camel.yaml");
        assertThat(Role.ALL.routesIncludePattern(true)).isEqualTo("classpath:cache-invalidation/routes/cdc-to-stream"
                + ".camel.yaml,classpath:cache-invalidation/routes/invalidation-worker.camel.yaml");
        assertThat(Role.ALL.routesIncludePattern(false)).isEqualTo("file:routes/*.camel.yaml");
        assertThat(Role.VALIDATE.routesIncludePattern(true)).isEmpty();
    }
}
