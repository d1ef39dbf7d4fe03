package dev.cacheinvalidation.config;

import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * For the commands that build the pipeline's routes without reading the binlog (the training run, {@code redrive}):
 * the placeholders and the connector's configuration get a database that is never connected to, so that they work
 * while the database is away, and never touch it.
 */
public final class NoDatabase {

    /** The server the connector's configuration and {@code {{mysql:...}}} get: never connected to. */
    private static final String UNCONNECTED_DSN = "mariadb://unconnected:unconnected@127.0.0.1:3306/app";

    private NoDatabase() {
    }

    public static void install(Main main) {
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                CdcSource unconnected = new CdcSource(MysqlDsn.parse(UNCONNECTED_DSN), ServerFlavor.MARIADB);
                support.getCamelContext().getPropertiesComponent().addPropertiesFunction(new MysqlPropertiesFunction() {
                    @Override
                    public CdcSource source(String rawDsn) {
                        return unconnected;
                    }
                });
            }
        });
    }
}
