package dev.cacheinvalidation.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cacheinvalidation.config.CdcConnectorConfiguration;
import org.junit.jupiter.api.Test;

/** The configuration table (docs/configuration.md) and application.properties name the same keys, with the same defaults. */
class ConfigurationReferenceTest {

    private static final Pattern ROW = Pattern.compile("^\\| `([a-zA-Z.]+)` \\| ([^|]*) \\|", Pattern.MULTILINE);
    /** Camel settings the page mentions in prose instead of the table. */
    private static final Set<String> CAMEL_PROSE = Set.of("camel.main.name", "camel.main.shutdownTimeout",
            "camel.jbang.dependencies", "camel.management.healthCheckEnabled", "camel.management.metricsEnabled",
            "camel.metrics.enabled", "camel.metrics.enableRoutePolicy", "camel.metrics.enableExchangeEventNotifier",
            "camel.health.enabled", "camel.management.infoEnabled", "camel.management.devConsoleEnabled",
            "camel.management.jolokiaEnabled", "camel.management.uploadEnabled", "camel.management.downloadEnabled",
            "camel.management.sendEnabled", "camel.main.autoConfigurationLogSummary",
            "camel.beans.cdcConnector", "camel.component.debezium-mysql.configuration", "camel.beans.pipelineFile",
            "camel.beans.pipelineFile.file");
    /** The connector configuration's properties: each is a {@code cdc.*} key of the table, passed on. */
    private static final String CONNECTOR_BEAN = CdcConnectorConfiguration.BEAN_SETTINGS;
    /** The redis-stream component's options: each is a {@code stream.*} key of the table, passed on. */
    private static final String STREAM_COMPONENT = "camel.component.redis-stream.";

    @Test
    void everyPropertyIsInTheReadmeTableAndEveryTableKeyIsAProperty() throws IOException {
        Properties properties = load();
        Set<String> inFile = new TreeSet<>(properties.stringPropertyNames());
        inFile.removeAll(CAMEL_PROSE);
        inFile.removeIf(key -> key.startsWith(CONNECTOR_BEAN) || key.startsWith(STREAM_COMPONENT));
        Set<String> inTable = new TreeSet<>();
        Matcher row = ROW.matcher(configurationSection());
        while (row.find()) {
            if (row.group(1).contains(".")) {
                inTable.add(row.group(1));
            }
        }
        assertThat(inTable).containsExactlyInAnyOrderElementsOf(inFile);
    }

    @Test
    void theDefaultsInTheTableAreTheValuesOfTheFile() throws IOException {
        Properties properties = load();
        Matcher row = ROW.matcher(configurationSection());
        while (row.find()) {
            String key = row.group(1);
            if (!properties.containsKey(key)) {
                continue;
            }
            String documented = row.group(2).trim();
            String actual = properties.getProperty(key).trim();
            if (actual.startsWith("{{env:") || actual.startsWith("{{envOrFile:")) {
                int from = actual.indexOf(':') + 1;
                String variable = actual.substring(from, actual.indexOf(':', from));
                assertThat(documented).as(key).contains(variable);
            } else if (actual.isEmpty()) {
                assertThat(documented).as(key).startsWith("(empty");
            } else {
                assertThat(documented).as(key).isEqualTo("`" + actual + "`");
            }
        }
    }

    /** docs/configuration.md up to its first subsection (the table is above it). */
    private static String configurationSection() throws IOException {
        String page = Files.readString(Path.of("docs/configuration.md"));
        int end = page.indexOf("\n## ");
        return page.substring(0, end < 0 ? page.length() : end);
    }

    private static Properties load() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(reader);
        }
        return properties;
    }
}
