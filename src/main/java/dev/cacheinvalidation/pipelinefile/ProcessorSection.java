package dev.cacheinvalidation.pipelinefile;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.event.EventFilter;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/** {@code spec.processors}: the JavaScript processor (the script and its limits) and the filter processor. */
final class ProcessorSection {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> OPERATIONS = Set.of("create", "update", "delete", "read", "truncate");

    private final YamlWalk walk;
    private PipelineFile.Script script;

    ProcessorSection(YamlWalk walk) {
        this.walk = walk;
    }

    /** The JavaScript processor, or null. */
    PipelineFile.Script script() {
        return script;
    }

    void read(Node node) {
        List<Node> items = walk.sequence(node, "spec.processors");
        if (items == null) {
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            String path = "spec.processors[" + i + "]";
            Node processor = items.get(i);
            String type = walk.type(processor, path);
            if (type == null) {
                continue;
            }
            switch (type) {
                case "javascript" -> javascript(processor, path);
                case "filter" -> filter(processor, path);
                case "outbox", "flatten" -> walk.problem(path + ".type", type + " processors are not supported",
                        YamlWalk.field(processor, "type"));
                default -> walk.problem(path + ".type", "unknown processor type '" + type + "' (type: javascript)",
                        YamlWalk.field(processor, "type"));
            }
        }
    }

    private void javascript(Node node, String path) {
        Map<String, Node> processor = walk.entries(node, path, Set.of("type", "id", "inline", "limits"), Map.of());
        if (processor == null) {
            return;
        }
        if (script != null) {
            walk.problem(path, "a second javascript processor is not supported: one script per pipeline (one"
                    + " processBatch that does both)", node);
            return;
        }
        String id = walk.requiredText(processor, "id", path, node);
        Node inline = walk.required(processor, "inline", path, node);
        if (inline != null) {
            if (!(inline instanceof ScalarNode source) || source.getValue().isBlank()) {
                walk.problem(path + ".inline", "expected the script's source (inline: |)", inline);
            } else if (id != null) {
                // a literal block starts on the line after its indicator
                boolean block = source.getScalarStyle() == ScalarStyle.LITERAL
                        || source.getScalarStyle() == ScalarStyle.FOLDED;
                script = new PipelineFile.Script(id, source.getValue(), YamlWalk.line(inline) + (block ? 1 : 0));
            }
        }
        if (processor.containsKey("limits")) {
            String limitsPath = path + ".limits";
            Map<String, Node> limits = walk.entries(processor.get("limits"), limitsPath,
                    Set.of("timeout_ms", "mem_mb"), Refusals.SCRIPT_LIMITS);
            if (limits != null) {
                walk.number(limits.get("timeout_ms"), limitsPath + ".timeout_ms", "script.timeoutMs", Long.MAX_VALUE);
                walk.number(limits.get("mem_mb"), limitsPath + ".mem_mb", "script.memMb", Long.MAX_VALUE);
            }
        }
    }

    /**
     * DeltaForge's filter processor, into the {@code filter.*} settings: applied before the script wherever it
     * stands among the processors (the script gets fewer events; what it returns is not filtered again).
     */
    private void filter(Node node, String path) {
        Map<String, Node> filter = walk.entries(node, path, Set.of("type", "id", "ops", "tables", "fields", "match"),
                Map.of());
        if (filter == null) {
            return;
        }
        Map<String, String> settings = walk.settings();
        if (settings.containsKey("filter.match")) {
            walk.problem(path, "a second filter processor is not supported: one filter per pipeline (its conditions"
                    + " combine by match: all or any)", node);
            return;
        }
        if (filter.containsKey("id")) {
            walk.text(filter.get("id"), path + ".id");
        }
        if (filter.containsKey("ops")) {
            List<String> ops = walk.texts(filter.get("ops"), path + ".ops");
            for (int i = 0; ops != null && i < ops.size(); i++) {
                if (!OPERATIONS.contains(ops.get(i))) {
                    walk.problem(path + ".ops[" + i + "]", "'" + ops.get(i) + "' is not an operation (create, update,"
                            + " delete, read, truncate)", YamlWalk.sequenceItem(filter.get("ops"), i));
                }
            }
            if (ops != null) {
                settings.put("filter.ops", String.join(",", ops));
            }
        }
        if (filter.containsKey("tables")) {
            String tablesPath = path + ".tables";
            Map<String, Node> tables = walk.entries(filter.get("tables"), tablesPath, Set.of("include", "exclude"),
                    Map.of());
            tableList(tables, "include", tablesPath, "filter.tablesInclude");
            tableList(tables, "exclude", tablesPath, "filter.tablesExclude");
        }
        if (filter.containsKey("fields")) {
            fields(filter.get("fields"), path + ".fields");
        }
        String match = filter.containsKey("match") ? walk.text(filter.get("match"), path + ".match") : "all";
        if (match != null && !Set.of("all", "any").contains(match)) {
            walk.problem(path + ".match", "'" + match + "' is neither all nor any", filter.get("match"));
        }
        settings.put("filter.match", match == null ? "all" : match);
    }

    private void tableList(Map<String, Node> tables, String key, String parent, String setting) {
        if (tables != null && tables.containsKey(key)) {
            List<String> names = walk.texts(tables.get(key), parent + "." + key);
            if (names != null) {
                walk.settings().put(setting, String.join(",", names));
            }
        }
    }

    private void fields(Node node, String path) {
        List<Node> fields = walk.sequence(node, path);
        List<Map<String, Object>> conditions = new ArrayList<>();
        for (int i = 0; fields != null && i < fields.size(); i++) {
            String fieldPath = path + "[" + i + "]";
            Map<String, Node> field = walk.entries(fields.get(i), fieldPath, Set.of("path", "op", "value"), Map.of());
            if (field == null) {
                continue;
            }
            Map<String, Object> condition = new LinkedHashMap<>();
            condition.put("path", walk.requiredText(field, "path", fieldPath, fields.get(i)));
            condition.put("op", walk.requiredText(field, "op", fieldPath, fields.get(i)));
            if (field.containsKey("value")) {
                condition.put("value", jsonValue(field.get("value"), fieldPath + ".value"));
            }
            try {
                EventFilter.checkCondition(JSON.valueToTree(condition));
                conditions.add(condition);
            } catch (ConfigurationException e) {
                walk.problem(fieldPath, e.getMessage().replaceFirst("^filter\\.fields: ", ""), fields.get(i));
            }
        }
        try {
            walk.settings().put("filter.fields", JSON.writeValueAsString(conditions));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A condition's value as YAML typed it: a number, a boolean, null, a string, or a list of those. */
    private Object jsonValue(Node node, String path) {
        if (node instanceof SequenceNode sequence) {
            List<Object> values = new ArrayList<>();
            for (int i = 0; i < sequence.getValue().size(); i++) {
                values.add(jsonValue(sequence.getValue().get(i), path + "[" + i + "]"));
            }
            return values;
        }
        if (!(node instanceof ScalarNode scalar)) {
            walk.problem(path, "expected a value or a list of values", node);
            return null;
        }
        if (scalar.getTag().equals(Tag.NULL)) {
            return null;
        }
        String text = walk.text(node, path);
        if (text == null) {
            return null;
        }
        if (scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT)) {
            return new BigDecimal(text.trim());
        }
        if (scalar.getTag().equals(Tag.BOOL)) {
            return Boolean.parseBoolean(text.trim().toLowerCase(Locale.ROOT));
        }
        return text;
    }
}
