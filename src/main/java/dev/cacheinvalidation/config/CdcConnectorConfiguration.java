package dev.cacheinvalidation.config;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import dev.cacheinvalidation.offsets.GatedOffsetBackingStore;
import dev.cacheinvalidation.offsets.RedisOffsetStore;
import dev.cacheinvalidation.offsets.RedisUriSchemaHistory;
import dev.cacheinvalidation.pipelinefile.PipelineFilePropertiesSource;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.component.debezium.configuration.ConfigurationValidation;
import org.apache.camel.component.debezium.mysql.configuration.MySqlConnectorEmbeddedDebeziumConfiguration;
import org.apache.camel.support.PropertyBindingSupport;

/**
 * The {@code debezium-mysql:} component's configuration for the pipeline: Debezium's plumbing, so that the route
 * names only its source. Filled from the {@code cdc.*} settings in {@code application.properties}; every endpoint
 * starts from a copy of it, which is completed from the connector name and the database behind {@code cdc.dsn}
 * (checked then, so a process running only the worker needs no database) as the endpoint is created. A setting
 * given on the endpoint itself is kept where it does not follow from the name or the database.
 */
public class CdcConnectorConfiguration extends MySqlConnectorEmbeddedDebeziumConfiguration
        implements CamelContextAware {

    /** This bean's lines in application.properties. */
    public static final String BEAN_SETTINGS = "camel.beans.cdcConnector.";

    private String dsn;
    private String dataDir;
    private String offsetStore;
    private String redisUri;
    private CamelContext camelContext;

    public CdcConnectorConfiguration() {
        // settings Camel passes by default that only produce deprecation warnings at every start: Kafka Connect
        // ignores the internal converters since 3.0, and Debezium reads event.processing.failure.handling.mode
        // (which Camel sets too, to the same "fail") instead of event.deserialization.failure.handling.mode
        setInternalKeyConverter(null);
        setInternalValueConverter(null);
        setEventDeserializationFailureHandlingMode(null);
        // whole transactions: BEGIN and END reach the route, so batches never cut one
        setProvideTransactionMetadata(true);
        // a delete is one event; its tombstone would be a second one with no row
        setTombstonesOnDelete(false);
        // TRUNCATE reaches the script as an event of its own (op "t"); Debezium skips it by default
        setSkippedOperations("none");
        // the schema history keeps the DDL of the captured tables only
        setSchemaHistoryInternalStoreOnlyCapturedTablesDdl(true);
        // after a lost connection, reconnect within seconds rather than the connector's default minute
        setConnectKeepAliveIntervalMs(5000);
        // the position is saved only once everything before it is in the stream (see OffsetGate)
        setOffsetStorage(GatedOffsetBackingStore.class.getName());
    }

    /**
     * As an endpoint is created: the database behind the DSN is checked, and the settings that follow from it
     * (address, credentials, the connector, driver and TLS words that fit MySQL or MariaDB) and from the connector
     * name (topic prefix, the gate, the keys and files of the saved position) are filled in.
     */
    @Override
    protected ConfigurationValidation validateConnectorConfiguration() {
        bindAgainWithPipelineFile();
        CdcSource source = checkedSource();
        setDatabaseHostname(source.dsn().host());
        setDatabasePort(source.dsn().port());
        setDatabaseUser(source.dsn().user());
        setDatabasePassword(source.dsn().password());
        setDatabaseJdbcDriver(source.flavor().jdbcDriver());
        setDatabaseProtocol(source.flavor().jdbcProtocol());
        setDatabaseSslMode(source.sslMode());
        setSourceinfoStructMaker(source.flavor().sourceInfoStructMaker());
        String name = getName();
        if (getTopicPrefix() == null) {
            setTopicPrefix(name);
        }
        if (dataDir == null || offsetStore == null) {
            throw new ConfigurationException("cdc.dataDir and cdc.offsetStore must be set");
        }
        setOffsetStorageFileName(dataDir + "/offsets.dat");
        setSchemaHistoryInternalFileFilename(dataDir + "/schema-history.dat");
        Map<String, Object> additional = getAdditionalProperties();
        // MySQL and MariaDB need different connectors
        additional.put("connector.class", source.flavor().connectorClass());
        additional.put(GatedOffsetBackingStore.CONNECTOR, name);
        additional.put(GatedOffsetBackingStore.DELEGATE, offsetStore);
        additional.put(RedisOffsetStore.KEY, RedisOffsetStore.keyOf(name));
        additional.put(RedisUriSchemaHistory.KEY, RedisUriSchemaHistory.keyOf(name));
        if (redisUri != null) {
            additional.put(GatedOffsetBackingStore.REDIS_URI, redisUri);
            additional.put(RedisUriSchemaHistory.REDIS_URI, redisUri);
        }
        return super.validateConnectorConfiguration();
    }

    /**
     * Under {@code camel run} with a pipeline file ({@link PipelineFilePropertiesSource}): Camel Main resolved this
     * bean's settings ({@value #BEAN_SETTINGS}* of application.properties) before the file's source existed, so they
     * are bound again here, where the file's values win as everywhere else.
     */
    private void bindAgainWithPipelineFile() {
        if (camelContext == null || camelContext.getPropertiesComponent().getPropertiesSources().stream()
                .noneMatch(PipelineFilePropertiesSource.class::isInstance)) {
            return;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        // all of them, filtered here: Camel JBang 4.10's own source answers a filtered load with nothing
        Properties all = camelContext.getPropertiesComponent().loadProperties();
        for (String key : all.stringPropertyNames()) {
            if (key.startsWith(BEAN_SETTINGS)) {
                values.put(key.substring(BEAN_SETTINGS.length()),
                        camelContext.resolvePropertyPlaceholders(all.getProperty(key)));
            }
        }
        PropertyBindingSupport.build().withCamelContext(camelContext).withTarget(this).withProperties(values).bind();
    }

    /** The server behind the DSN, checked once per Camel context: through {@code {{mysql:}}}'s function. */
    private CdcSource checkedSource() {
        if (camelContext != null
                && camelContext.getPropertiesComponent().getPropertiesFunction("mysql") instanceof MysqlPropertiesFunction mysql) {
            return mysql.source(dsn == null ? "" : dsn);
        }
        return CdcSource.resolve(dsn);
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** The database ({@code cdc.dsn}): {@code mysql://user:password@host:3306/app} or {@code mariadb://...}. */
    public void setDsn(String dsn) {
        this.dsn = dsn;
    }

    /** Directory of the saved position and schema history when they are files ({@code cdc.dataDir}). */
    public void setDataDir(String dataDir) {
        this.dataDir = dataDir;
    }

    /** Where the gated offset store saves the position: {@code file}, {@code redis} or a class name. */
    public void setOffsetStore(String offsetStore) {
        this.offsetStore = offsetStore;
    }

    /** The context whose {@code {{mysql:}}} function has checked the DSN's server already. */
    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    /** Redis of the saved position and schema history when they live in Redis ({@code redis.uri}). */
    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }
}
