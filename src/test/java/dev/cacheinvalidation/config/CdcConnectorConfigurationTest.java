package dev.cacheinvalidation.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cacheinvalidation.offsets.GatedOffsetBackingStore;
import io.debezium.config.Configuration;
import org.apache.camel.component.debezium.mysql.configuration.MySqlConnectorEmbeddedDebeziumConfiguration;
import org.junit.jupiter.api.Test;

class CdcConnectorConfigurationTest {

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
    void itLeavesThemOutAndStillFailsOnBadEvents() {
        Configuration quiet = withRequiredOptions(new CdcConnectorConfiguration()).createDebeziumConfiguration();
        for (String key : DEPRECATED) {
            assertThat(quiet.hasKey(key)).as(key).isFalse();
        }
        assertThat(quiet.getString("event.processing.failure.handling.mode")).isEqualTo("fail");
    }

    @Test
    void itHoldsThePipelinesFixedSettings() {
        Configuration settings = withRequiredOptions(new CdcConnectorConfiguration()).createDebeziumConfiguration();

        assertThat(settings.getString("provide.transaction.metadata")).isEqualTo("true");
        assertThat(settings.getString("tombstones.on.delete")).isEqualTo("false");
        assertThat(settings.getString("skipped.operations")).isEqualTo("none");
        assertThat(settings.getString("schema.history.internal.store.only.captured.tables.ddl")).isEqualTo("true");
        assertThat(settings.getString("connect.keep.alive.interval.ms")).isEqualTo("5000");
        assertThat(settings.getString("offset.storage")).isEqualTo(GatedOffsetBackingStore.class.getName());
    }

    @Test
    void anEndpointsCopyKeepsThemAndTheTypedSettings() {
        CdcConnectorConfiguration template = new CdcConnectorConfiguration();
        template.setDsn("mysql://cdc:secret@db:3306/app");
        Object copy = template.copy();

        assertThat(copy).isInstanceOf(CdcConnectorConfiguration.class);
        Configuration settings = withRequiredOptions((MySqlConnectorEmbeddedDebeziumConfiguration) copy).createDebeziumConfiguration();
        assertThat(settings.hasKey("internal.key.converter")).isFalse();
        assertThat(settings.getString("skipped.operations")).isEqualTo("none");
    }

    @Test
    void anEndpointWithoutDatabaseGetsTheDsnError() {
        CdcConnectorConfiguration endpoint = (CdcConnectorConfiguration) new CdcConnectorConfiguration().copy();
        endpoint.setName("cache-invalidation");

        assertThatThrownBy(endpoint::validateConfiguration).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("MYSQL_DSN is not set");
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
