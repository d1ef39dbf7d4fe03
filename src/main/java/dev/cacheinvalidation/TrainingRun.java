package dev.cacheinvalidation;

import java.util.Locale;

import dev.cacheinvalidation.config.NoDatabase;
import dev.cacheinvalidation.js.ScriptRuntime;
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
    /** The Redis the stream writers get during training: a port where nothing listens, refused at once. */
    private static final String UNCONNECTED_REDIS = "redis://127.0.0.1:1";
    /** Enough calls for the script's hot paths to be profiled and compiled, a few seconds in all. */
    private static final int BATCHES = 400;
    private static final int EVENTS_PER_BATCH = 100;

    private TrainingRun() {
    }

    /** Configures Main to build the routes without starting them, and to run the script once Camel is up. */
    static void prepare(Main main) {
        // nothing of the environment counts, and the stream writers, which start with the routes built, find no
        // Redis: a training run reaches no server, whatever the shell or the default address holds
        Application.sealFromProcess(main);
        main.addOverrideProperty("redis.uri", UNCONNECTED_REDIS);
        main.addOverrideProperty("camel.main.autoStartup", "false");
        main.addOverrideProperty("camel.management.enabled", "false");
        NoDatabase.install(main);
        main.addMainListener(new MainListenerSupport() {
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
                written += runtime.processBatch(syntheticBatch(batch)).size();
            }
        }
        LOG.info("Training run: {} batches of {} events through {} ({} events back) in {} ms", BATCHES,
                EVENTS_PER_BATCH, script, written, (System.nanoTime() - started) / 1_000_000);
    }

    /** A transaction's worth of changes to the example's tables: updates mostly, some inserts and deletes. */
    static String syntheticBatch(int batch) {
        StringBuilder json = new StringBuilder(EVENTS_PER_BATCH * 400).append('[');
        String tx = "0-1-" + (1000 + batch);
        for (int i = 0; i < EVENTS_PER_BATCH; i++) {
            int id = batch * EVENTS_PER_BATCH + i + 1;
            String op = i % 10 == 0 ? "c" : i % 10 == 1 ? "d" : "u";
            String table = switch (i % 4) {
                case 0 -> "users";
                case 1 -> "products";
                case 2 -> "orders";
                default -> "inventory";
            };
            String before = "c".equals(op) ? "null" : row(table, id, batch);
            String after = "d".equals(op) ? "null" : row(table, id, batch + 1);
            if (i > 0) {
                json.append(',');
            }
            json.append(String.format(Locale.ROOT, "{\"op\":\"%s\",\"table\":\"app.%s\",\"before\":%s,\"after\":%s,"
                    + "\"tags\":[],\"source\":{\"file\":\"mysql-bin.000001\",\"pos\":%d,\"row\":%d,\"gtid\":\"%s\","
                    + "\"server_id\":1,\"ts_ms\":1795779994000},\"tx\":\"%s\"}", op, table, before, after,
                    4000 + batch * 50, i, tx, tx));
        }
        return json.append(']').toString();
    }

    private static String row(String table, int id, int version) {
        return switch (table) {
            case "users" -> String.format(Locale.ROOT, "{\"id\":%d,\"email\":\"user%d.v%d@example.com\",\"name\":"
                    + "\"User %d\",\"created_at\":\"2026-11-27T11:45:27.660\"}", id, id, version, id);
            case "products" -> String.format(Locale.ROOT, "{\"id\":%d,\"name\":\"product %d\",\"category_id\":%d,"
                    + "\"price\":\"%d.99\"}", id, id, id % 50, version);
            case "orders" -> String.format(Locale.ROOT, "{\"id\":%d,\"user_id\":%d,\"status\":\"v%d\","
                    + "\"total\":\"%d.50\"}", id, id % 100, version, version);
            default -> String.format(Locale.ROOT, "{\"id\":%d,\"product_id\":%d,\"quantity\":%d}", id, id % 500,
                    version);
        };
    }
}
