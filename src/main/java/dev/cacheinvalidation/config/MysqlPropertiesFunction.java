package dev.cacheinvalidation.config;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.spi.PropertiesFunction;

/**
 * The {@code {{mysql:KEY}}} placeholder: the parts of {@code MYSQL_DSN} (host, port, user, password, database) and
 * the Debezium connector settings that fit the server behind it (connectorClass, jdbcDriver, protocol, sslMode,
 * sourceInfoStructMaker, flavor). The DSN is the property {@code cdc.dsn} ({@code application.properties} gives it
 * MYSQL_DSN, or the file MYSQL_DSN_FILE names); the server is checked once per DSN.
 */
@org.apache.camel.spi.annotations.PropertiesFunction("mysql")
public class MysqlPropertiesFunction implements PropertiesFunction, CamelContextAware {

    /** Each DSN is checked once per Camel context (a placeholder is resolved many times). */
    private final Map<String, CdcSource> checked = new ConcurrentHashMap<>();

    private CamelContext camelContext;

    @Override
    public String getName() {
        return "mysql";
    }

    @Override
    public String apply(String key) {
        String raw = camelContext.getPropertiesComponent().resolveProperty("cdc.dsn").orElse("");
        return source(raw).property(key.trim());
    }

    /**
     * The server behind a DSN, checked the first time it is asked for: the placeholders and the connector's
     * configuration ({@link CdcConnectorConfiguration}) share one check.
     */
    public CdcSource source(String rawDsn) {
        return checked.computeIfAbsent(rawDsn, CdcSource::resolve);
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }
}
