package dev.cacheinvalidation.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvOrFilePropertiesFunctionTest {

    @TempDir
    Path dir;

    @Test
    void theVariableComesFirst() throws IOException {
        Path file = Files.writeString(dir.resolve("uri"), "redis://from-file:6379");
        EnvOrFilePropertiesFunction function = new EnvOrFilePropertiesFunction(
                Map.of("REDIS_URI", "redis://from-env:6379", "REDIS_URI_FILE", file.toString()));

        assertThat(function.apply("REDIS_URI:redis://localhost:6379")).isEqualTo("redis://from-env:6379");
    }

    @Test
    void withoutTheVariableTheFileItsFileVariableNamesIsReadTrimmed() throws IOException {
        Path file = Files.writeString(dir.resolve("dsn"), "mysql://cdc:s3cret@db:3306/app\n");
        EnvOrFilePropertiesFunction function = new EnvOrFilePropertiesFunction(Map.of("MYSQL_DSN_FILE", file.toString()));

        assertThat(function.apply("MYSQL_DSN:")).isEqualTo("mysql://cdc:s3cret@db:3306/app");
    }

    @Test
    void withNeitherTheDefaultWithItsColons() {
        EnvOrFilePropertiesFunction function = new EnvOrFilePropertiesFunction(Map.of());

        assertThat(function.apply("REDIS_URI:redis://localhost:6379")).isEqualTo("redis://localhost:6379");
        assertThat(function.apply("MYSQL_DSN:")).isEmpty();
    }

    @Test
    void aFileThatCannotBeReadIsAConfigurationErrorNamingTheVariableNotTheContent() {
        EnvOrFilePropertiesFunction function = new EnvOrFilePropertiesFunction(
                Map.of("MYSQL_DSN_FILE", dir.resolve("missing").toString()));

        assertThatThrownBy(() -> function.apply("MYSQL_DSN:")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("MYSQL_DSN_FILE").hasMessageContaining("missing");
    }
}
