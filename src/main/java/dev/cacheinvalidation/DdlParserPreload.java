package dev.cacheinvalidation;

import io.debezium.connector.mariadb.antlr.MariaDbAntlrDdlParser;
import io.debezium.connector.mysql.antlr.MySqlAntlrDdlParser;
import io.debezium.connector.mariadb.charset.MariaDbCharsetRegistry;
import io.debezium.connector.mysql.charset.MySqlCharsetRegistry;
import io.debezium.relational.Tables;
import io.debezium.relational.Tables.TableFilter;
import io.debezium.relational.ddl.DdlParser;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before it reads the binlog the connector parses the captured tables' DDL (the schema it reads at the first start,
 * the saved schema history at every later one) with its ANTLR grammar, and the first parse in a JVM takes a second
 * or more: the grammar's classes load and its state machine is built, once per grammar and JVM. Done on another
 * thread while Camel configures itself, the connector finds the grammar ready. Which grammar depends on the server,
 * so this thread also runs the database check that the connector's configuration would run a moment later (it
 * then finds it done: both go through {@code {{mysql:...}}}'s function, which checks each DSN once).
 */
final class DdlParserPreload {

    private static final Logger LOG = LoggerFactory.getLogger(DdlParserPreload.class);

    /** Statements of the shapes the connector records and replays: database, table and column definitions. */
    private static final String SAMPLE_DDL = """
            SET character_set_server=utf8mb4, collation_server=utf8mb4_general_ci;
            DROP TABLE IF EXISTS `preload`.`items`;
            DROP DATABASE IF EXISTS `preload`;
            CREATE DATABASE `preload` CHARSET utf8mb4 COLLATE utf8mb4_general_ci;
            USE `preload`;
            CREATE TABLE `items` (
              `id` int(11) NOT NULL AUTO_INCREMENT,
              `name` varchar(255) NOT NULL,
              `owner_id` int(11) DEFAULT NULL,
              `price` decimal(12,2) NOT NULL DEFAULT 0.00,
              `created_at` datetime(3) DEFAULT current_timestamp(3),
              PRIMARY KEY (`id`),
              KEY `owner` (`owner_id`)
            ) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
            ALTER TABLE `items` ADD COLUMN `note` text NULL;
            """;

    private DdlParserPreload() {
    }

    static void start(CamelContext context) {
        Thread preload = new Thread(() -> run(context), "ddl-parser-preload");
        preload.setDaemon(true);
        preload.start();
    }

    /** Parses sample DDL with the grammar of the server flavor ({@code mariadb} or {@code mysql}); the tables. */
    static Tables parse(String flavor) {
        // as the connector builds them: with the server's character sets, for every table
        DdlParser parser = "mariadb".equals(flavor)
                ? new MariaDbAntlrDdlParser(true, false, false, TableFilter.includeAll(), new MariaDbCharsetRegistry())
                : new MySqlAntlrDdlParser(true, false, false, TableFilter.includeAll(), new MySqlCharsetRegistry());
        Tables tables = new Tables();
        parser.parse(SAMPLE_DDL, tables);
        return tables;
    }

    private static void run(CamelContext context) {
        long started = System.nanoTime();
        try {
            String flavor = context.resolvePropertyPlaceholders("{{mysql:flavor}}");
            long checked = System.nanoTime();
            parse(flavor);
            LOG.debug("Database checked in {} ms, {} DDL parser preloaded in {} ms", (checked - started) / 1_000_000,
                    flavor, (System.nanoTime() - checked) / 1_000_000);
        } catch (RuntimeException e) {
            // a configuration problem is reported when the connector's endpoint is created; this was only a head start
            LOG.debug("Preloading the DDL parser failed", e);
        }
    }
}
