package dev.cacheinvalidation.pipelinefile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;

import dev.cacheinvalidation.config.ConfigurationException;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Ordered;
import org.apache.camel.spi.LoadablePropertiesSource;

/**
 * The pipeline file named by {@code PIPELINE_FILE} as a source of settings for {@code camel run}, where no launcher of
 * ours reads it: application.properties makes it a bean ({@code camel.beans.pipelineFile}) and gives it the file; it
 * then adds itself to the context's properties, asked before the properties files ({@link #ORDER}), so what the file
 * says wins over {@code application.properties} wherever a setting is read after the beans are built (the routes;
 * the connector's configuration binds its settings again then, see {@code CdcConnectorConfiguration}). Without a
 * file it adds nothing. The file is read at the first look-up, with the same {@code ${VAR}} expansion and the same
 * refusals as {@code java -jar}; a refused file fails every look-up, and so the start. {@code java -jar} applies the
 * file itself and gives this bean none.
 */
public final class PipelineFilePropertiesSource implements LoadablePropertiesSource, Ordered, CamelContextAware {

    /** The setting of application.properties that gives the bean its file; java -jar overrides it with {@link #NO_FILE}. */
    public static final String FILE_SETTING = "camel.beans.pipelineFile.file";
    /** No file: what java -jar gives the bean (Camel refuses an empty value there), as it applies the file itself. */
    public static final String NO_FILE = "none";

    /** Ahead of the properties files, which Camel ranks from 100 on in the order of their locations. */
    public static final int ORDER = 50;

    private final Map<String, String> environment;
    private CamelContext camelContext;
    private String file;
    private boolean added;
    private Map<String, String> settings;
    private RuntimeException refusal;

    /** What Camel instantiates: the process's environment expands the file's variables. */
    public PipelineFilePropertiesSource() {
        this(System.getenv());
    }

    public PipelineFilePropertiesSource(Map<String, String> environment) {
        this.environment = environment;
    }

    /** The pipeline file ({@code PIPELINE_FILE}); empty or {@link #NO_FILE}: none, nothing is added. */
    public void setFile(String file) {
        this.file = file == null || file.isBlank() || NO_FILE.equals(file) ? null : file;
        addToContext();
    }

    public String getFile() {
        return file;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
        addToContext();
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** Once the context and a file are both known (Camel gives the context first, the file after). */
    private synchronized void addToContext() {
        if (camelContext != null && file != null && !added) {
            added = true;
            camelContext.getPropertiesComponent().addPropertiesSource(this);
        }
    }

    @Override
    public String getName() {
        return file == null ? "PipelineFile" : "PipelineFile:" + file;
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public String getProperty(String name) {
        return settings().get(name);
    }

    @Override
    public Properties loadProperties() {
        return loadProperties(name -> true);
    }

    @Override
    public Properties loadProperties(Predicate<String> filter) {
        Properties properties = new Properties();
        settings().forEach((key, value) -> {
            if (filter.test(key)) {
                properties.setProperty(key, value);
            }
        });
        return properties;
    }

    @Override
    public void reloadProperties(String location) {
        // the file is read once: a changed file takes a restart, as under java -jar
    }

    /** The file's settings, read at the first call; a refused file is refused again at every call. */
    synchronized Map<String, String> settings() {
        if (refusal != null) {
            throw refusal;
        }
        if (settings == null) {
            try {
                settings = file == null ? Map.of()
                        : PipelineSettings.of(PipelineFile.load(Path.of(file), environment), "", List.of(), "");
            } catch (ConfigurationException e) {
                refusal = e;
                throw e;
            } catch (IOException e) {
                refusal = new ConfigurationException("pipeline file " + file + ": its script cannot be written ("
                        + e.getClass().getSimpleName() + ")");
                throw refusal;
            }
        }
        return settings;
    }
}
