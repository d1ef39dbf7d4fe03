package dev.cacheinvalidation.pipelinefile;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cacheinvalidation.config.MysqlDsn;
import org.snakeyaml.engine.v2.nodes.Node;

/** {@code spec.source}: the MySQL/MariaDB binlog source into the {@code cdc.*} settings. */
final class SourceSection {

    private static final Pattern TABLE = Pattern.compile("([A-Za-z0-9_$]+)\\.([A-Za-z0-9_$]+)");

    private final YamlWalk walk;

    SourceSection(YamlWalk walk) {
        this.walk = walk;
    }

    void read(Node node) {
        String type = walk.type(node, "spec.source");
        if (type == null) {
            return;
        }
        if (!type.equals("mysql")) {
            walk.problem("spec.source.type", type.equals("postgres")
                    ? "postgres is not supported: this application reads the binlog of MySQL or MariaDB (type: mysql)"
                    : "unknown source type '" + type + "' (type: mysql)", YamlWalk.field(node, "type"));
            return;
        }
        Map<String, Node> source = walk.entries(node, "spec.source", Set.of("type", "config"), Map.of());
        Node configNode = walk.required(source, "config", "spec.source", node);
        String path = "spec.source.config";
        Map<String, Node> config = walk.entries(configNode, path, Set.of("id", "dsn", "tables", "snapshot"),
                Refusals.SOURCE);
        if (config == null) {
            return;
        }
        // DeltaForge keys its checkpoints by the id; here the connector's name (metadata.name) does
        walk.requiredText(config, "id", path, configNode);
        walk.checkedSetting(config, "dsn", path, configNode, "cdc.dsn", MysqlDsn::parse);
        Node tablesNode = walk.required(config, "tables", path, configNode);
        if (tablesNode != null) {
            tables(tablesNode, path + ".tables");
        }
        if (config.containsKey("snapshot")) {
            snapshot(config.get("snapshot"), path + ".snapshot");
        }
    }

    private void tables(Node node, String path) {
        List<Node> items = walk.sequence(node, path);
        if (items == null) {
            return;
        }
        if (items.isEmpty()) {
            walk.problem(path, "an empty list (every table) is not supported: name each table as db.table", node);
            return;
        }
        Set<String> tables = new LinkedHashSet<>();
        Set<String> databases = new LinkedHashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String table = walk.text(items.get(i), path + "[" + i + "]");
            if (table == null) {
                continue;
            }
            Matcher matcher = TABLE.matcher(table.trim());
            if (matcher.matches()) {
                tables.add(table.trim());
                databases.add(matcher.group(1));
            } else if (table.contains("%") || table.contains("*")) {
                walk.problem(path + "[" + i + "]", "table patterns are not supported: name each table as db.table",
                        items.get(i));
            } else {
                walk.problem(path + "[" + i + "]", "'" + table + "' is not a table name of the form db.table",
                        items.get(i));
            }
        }
        if (!tables.isEmpty()) {
            walk.settings().put("cdc.tables", String.join(",", tables));
            walk.settings().put("cdc.databases", String.join(",", databases));
        }
    }

    private void snapshot(Node node, String path) {
        Map<String, Node> snapshot = walk.entries(node, path, Set.of("mode"), Refusals.SNAPSHOT);
        if (snapshot == null || !snapshot.containsKey("mode")) {
            return;
        }
        String mode = walk.text(snapshot.get("mode"), path + ".mode");
        if ("never".equals(mode)) {
            // start at the binlog's current position, without reading existing rows: Debezium's no_data
            walk.settings().put("cdc.snapshotMode", "no_data");
        } else if (mode != null) {
            walk.problem(path + ".mode", "'" + mode + "' is not supported: never only (a change invalidates; rows"
                    + " that exist already have nothing to invalidate)", snapshot.get("mode"));
        }
    }
}
