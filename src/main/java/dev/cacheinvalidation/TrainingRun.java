package dev.cacheinvalidation;

import dev.cacheinvalidation.config.CdcSource;
import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.config.MysqlPropertiesFunction;
import dev.cacheinvalidation.config.ServerFlavor;
import dev.cacheinvalidation.js.ScriptRuntime;
import dev.cacheinvalidation.js.SyntheticBatches;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -XX:AOTCacheOutput=FILE -jar cache-invalidation.jar train}: the workload of a JVM training run
 * (Java 25's ahead-of-time cache), one that needs no database and no Redis, so that an image build can run it.
 * Camel Main loads every route file, builds the routes with their components, endpoints and beans without starting
 * them, the script runs over synthetic batches shaped like the binlog's and the connector's DDL grammars parse
 * sample statements; then the process ends and the JVM
 * writes the classes it loaded and linked, and the profiles of what ran, to the cache.
 */
final class TrainingRun {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingRun.class);
    /** The server the connector's configuration and {@code {{mysql:...}}} get during training: never connected to. */
    private static final String UNCONNECTED_DSN = "mariadb://training:training@127.0.0.1:3306/app";
    /** Enough calls for the script's hot paths to be profiled and compiled, a few seconds in all. */
    private static final int BATCHES = 400;

    private TrainingRun() {
    }

    /** Configures Main to build the routes without starting them, and to run the script once Camel is up. */
    static void prepare(Main main) {
        main.addOverrideProperty("camel.main.autoStartup", "false");
        main.addOverrideProperty("camel.management.enabled", "false");
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                // the real function would check the database first: the placeholders and the connector's
                // configuration get the server from it without one here
                CdcSource unconnected = new CdcSource(MysqlDsn.parse(UNCONNECTED_DSN), ServerFlavor.MARIADB);
                support.getCamelContext().getPropertiesComponent()
                        .addPropertiesFunction(new MysqlPropertiesFunction() {
                            @Override
                            public CdcSource source(String rawDsn) {
                                return unconnected;
                            }
                        });
            }

            @Override
            public void afterStart(BaseMainSupport support) {
                String script = support.getCamelContext().getPropertiesComponent()
                        .resolveProperty("script.file").orElse("routes/cache-keys.js");
                runScript(script);
                // the server is not known yet: both grammars the connector may use
                DdlParserPreload.parse("mariadb");
                DdlParserPreload.parse("mysql");
                main.completed();
            }
        });
    }

    private static void runScript(String script) {
        long started = System.nanoTime();
        long written = 0;
        try (ScriptRuntime runtime = new ScriptRuntime(null, ScriptRuntime.files(script), 10_000, 0)) {
            for (int batch = 0; batch < BATCHES; batch++) {
                written += runtime.processBatch(SyntheticBatches.batch(batch)).size();
            }
        }
        LOG.info("Training run: {} batches of {} events through {} ({} events back) in {} ms", BATCHES,
                SyntheticBatches.EVENTS_PER_BATCH, script, written, (System.nanoTime() - started) / 1_000_000);
    }
}
