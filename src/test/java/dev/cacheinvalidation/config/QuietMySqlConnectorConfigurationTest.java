package dev.cacheinvalidation.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.config.Configuration;
import org.apache.camel.component.debezium.mysql.configuration.MySqlConnectorEmbeddedDebeziumConfiguration;
import org.junit.jupiter.api.Test;

class QuietMySqlConnectorConfigurationTest {

    private static final String[] DEPRECATED = {
        "internal.key.converter", "internal.value.converter", "event.deserialization.failure.handling.mode"};

    @Test
    void camelsDefaultsCarryTheDeprecatedSettings() {
        Configuration stock = withRequiredOptions(new MySqlConnectorEmbeddedDebeziumConfiguration()).createDebeziumConfiguration();
        for (String key : DEPRECATED) {
            assertThat(stock.hasKey(key)).as(key).isTrue();
        }
    }

    @Test
    void theQuietConfigurationLeavesThemOutAndStillFailsOnBadEvents() {
        Configuration quiet = withRequiredOptions(new QuietMySqlConnectorConfiguration()).createDebeziumConfiguration();
        for (String key : DEPRECATED) {
            assertThat(quiet.hasKey(key)).as(key).isFalse();
        }
        assertThat(quiet.getString("event.processing.failure.handling.mode")).isEqualTo("fail");
    }

    @Test
    void anEndpointsCopyStaysQuiet() {
        Object copy = new QuietMySqlConnectorConfiguration().copy();
        assertThat(copy).isInstanceOf(QuietMySqlConnectorConfiguration.class);
        Configuration quiet = withRequiredOptions((MySqlConnectorEmbeddedDebeziumConfiguration) copy).createDebeziumConfiguration();
        assertThat(quiet.hasKey("internal.key.converter")).isFalse();
    }

    private static MySqlConnectorEmbeddedDebeziumConfiguration withRequiredOptions(MySqlConnectorEmbeddedDebeziumConfiguration c) {
        c.setName("test");
        c.setTopicPrefix("test");
        c.setDatabaseHostname("localhost");
        c.setDatabaseUser("cdc");
        c.setDatabasePassword("secret");
        c.setDatabaseServerId(1);
        return c;
    }
}
