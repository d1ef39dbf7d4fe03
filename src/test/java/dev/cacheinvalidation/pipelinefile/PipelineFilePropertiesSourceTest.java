package dev.cacheinvalidation.pipelinefile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.cacheinvalidation.config.ConfigurationException;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pipeline file of {@code PIPELINE_FILE} as Camel's properties source for {@code camel run}: a bean of
 * application.properties that adds itself to the context's properties when it has a file, ahead of
 * application.properties, and a refused file refused at every look-up with the key's path and line.
 */
class PipelineFilePropertiesSourceTest {

    private static final Path SEED = Path.of("src/test/resources/deltaforge/cache-invalidation.yaml");
    private static final String MYSQL_DSN = "mysql://cdc:cdc-secret@127.0.0.1:3306/app";
    private static final String REDIS_URI = "redis://127.0.0.1:6379";

    @TempDir
    Path dir;

    @Test
    void withoutPipelineFileItHoldsNothing() {
        PipelineFilePropertiesSource source = source(null);
        assertThat(source.getProperty("stream.key")).isNull();
        assertThat(source.loadProperties()).isEmpty();
        assertThat(source.getName()).isEqualTo("PipelineFile");
    }

    @Test
    void theFilesSettingsWinOverApplicationProperties() throws Exception {
        Path properties = Files.writeString(dir.resolve("application.properties"),
                "stream.key=from-properties\nworker.blockMs=1234\n");
        try (CamelContext context = new DefaultCamelContext()) {
            context.getPropertiesComponent().setLocation("file:" + properties);
            source(SEED).setCamelContext(context);
            context.build();
            assertThat(context.resolvePropertyPlaceholders("{{stream.key}}")).isEqualTo("cache:invalidations");
            assertThat(context.resolvePropertyPlaceholders("{{cdc.name}}")).isEqualTo("cache-invalidation");
            // what the file does not set stays application.properties'
            assertThat(context.resolvePropertyPlaceholders("{{worker.blockMs}}")).isEqualTo("1234");
            // the inline script, written to a file of its own
            String script = context.resolvePropertyPlaceholders("{{script.file}}");
            assertThat(Path.of(script)).content().contains("function processBatch(events)");
            // Camel Main reads its own settings (camel.main.name) by loading, not by look-ups
            assertThat(context.getPropertiesComponent().loadProperties(key -> key.startsWith("camel.main."))
                    .getProperty("camel.main.name")).isEqualTo("cache-invalidation");
        }
    }

    /** The contract between application.properties and this class: the bean, and the file it is given. */
    @Test
    void applicationPropertiesMakesItABeanGivenPipelineFile() throws Exception {
        java.util.Properties properties = new java.util.Properties();
        try (java.io.Reader in = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(in);
        }
        assertThat(properties.getProperty(PipelineFilePropertiesSource.FILE_SETTING))
                .isEqualTo("{{envOrFile:PIPELINE_FILE:}}");
        assertThat(properties.getProperty(PipelineFilePropertiesSource.FILE_SETTING.replace(".file", "")))
                .isEqualTo("#class:" + PipelineFilePropertiesSource.class.getName());
    }

    @Test
    void itAddsItselfToTheContextOnlyWithAFile() throws Exception {
        try (CamelContext context = new DefaultCamelContext()) {
            PipelineFilePropertiesSource none = source(null);
            none.setCamelContext(context);
            assertThat(context.getPropertiesComponent().getPropertiesSources()).doesNotContain(none);
            PipelineFilePropertiesSource launchers = source(null);
            launchers.setFile(PipelineFilePropertiesSource.NO_FILE);
            launchers.setCamelContext(context);
            assertThat(context.getPropertiesComponent().getPropertiesSources()).doesNotContain(launchers);
            PipelineFilePropertiesSource seed = source(SEED);
            seed.setCamelContext(context);
            assertThat(context.getPropertiesComponent().getPropertiesSources()).contains(seed);
        }
    }

    @Test
    void aMisspeltKeyIsRefusedAtTheFirstLookUpWithItsPathAndLine() throws Exception {
        String text = Files.readString(SEED).replace("stream: cache:invalidations", "streem: cache:invalidations");
        Path file = Files.writeString(dir.resolve("misspelt.yaml"), text);
        PipelineFilePropertiesSource source = source(file);
        String problem = "spec.sinks[0].config.streem: unknown key (line " + lineOf(text, "streem:") + ")";
        assertThatThrownBy(() -> source.getProperty("stream.key")).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("pipeline file " + file).hasMessageContaining(problem);
        // and again at every later one: a start never goes on with half a file
        assertThatThrownBy(source::loadProperties).hasMessageContaining(problem);
        try (CamelContext context = new DefaultCamelContext()) {
            source(file).setCamelContext(context);
            context.build();
            assertThatThrownBy(() -> context.resolvePropertyPlaceholders("{{stream.key}}"))
                    .hasMessageContaining(problem);
        }
    }

    @Test
    void itRanksAheadOfEveryPropertiesFile() {
        PropertiesSource source = new PipelineFilePropertiesSource(Map.of());
        assertThat(((org.apache.camel.Ordered) source).getOrder()).isLessThan(100);
    }

    /** The bean as application.properties makes it, given {@code file} (null: none). */
    private static PipelineFilePropertiesSource source(Path file) {
        PipelineFilePropertiesSource source = new PipelineFilePropertiesSource(Map.of("MYSQL_DSN", MYSQL_DSN,
                "REDIS_URI", REDIS_URI));
        source.setFile(file == null ? "" : file.toString());
        return source;
    }

    private static int lineOf(String text, String part) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(part)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException(part);
    }
}
