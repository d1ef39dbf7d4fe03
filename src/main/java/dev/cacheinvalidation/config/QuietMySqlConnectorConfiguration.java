package dev.cacheinvalidation.config;

import org.apache.camel.component.debezium.mysql.configuration.MySqlConnectorEmbeddedDebeziumConfiguration;

/**
 * The {@code debezium-mysql:} component's configuration without three settings Camel passes by default that
 * only produce deprecation warnings at every start: {@code internal.key.converter} and
 * {@code internal.value.converter} (Kafka Connect ignores them since 3.0) and
 * {@code event.deserialization.failure.handling.mode} (Debezium reads {@code event.processing.failure.handling.mode},
 * which Camel sets too, to the same {@code fail}). Set as the component's configuration in
 * {@code application.properties}; every endpoint starts from a copy of it.
 */
public class QuietMySqlConnectorConfiguration extends MySqlConnectorEmbeddedDebeziumConfiguration {

    public QuietMySqlConnectorConfiguration() {
        setInternalKeyConverter(null);
        setInternalValueConverter(null);
        setEventDeserializationFailureHandlingMode(null);
    }
}
