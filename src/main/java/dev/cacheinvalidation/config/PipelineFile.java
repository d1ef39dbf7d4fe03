package dev.cacheinvalidation.config;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.event.EventFilter;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.common.ScalarStyle;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * A DeltaForge pipeline file ({@code apiVersion: deltaforge/v1}, {@code kind: Pipeline}) read as settings of this
 * application: {@code java -jar cache-invalidation.jar --pipeline FILE}, or {@code PIPELINE_FILE}. What the file
 * says replaces the corresponding setting ({@link #settings()}, {@link #script()}); application.properties keeps the
 * rest. Every key is either mapped or refused: a key not known here, or a value this application cannot honour (a
 * Kafka sink, another envelope, a commit policy that does not wait for the stream), is a problem naming its path
 * and line, and all problems of the file are reported at once by one {@link ConfigurationException}, before
 * anything starts.
 * <p>
 * {@code ${VAR}} in a value is the environment variable {@code VAR}, else the content of the file {@code VAR_FILE}
 * names (as {@code {{envOrFile:}}} reads it); a variable that is not set is a problem naming it. DeltaForge expands
 * the whole text before it parses it; here values are expanded one by one after parsing, so the line of every
 * problem is the file's own, and the inline script is taken as it is: its {@code ${...}} are JavaScript's template
 * literals. No message shows the dsn or the uri, which may hold passwords.
 */
public final class PipelineFile {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The command line option that names the file. */
    public static final String OPTION = "--pipeline";
    /** The environment variable that names the file when the command line does not. */
    public static final String VARIABLE = "PIPELINE_FILE";

    /** The JavaScript processor: its id, its source as the file has it, and the line of the file it starts on. */
    public record Script(String id, String source, int line) {
    }

    /** The file the command line or the environment names (null: none), and the arguments left for Camel Main. */
    public record Choice(Path file, String[] rest) {
    }

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern TABLE = Pattern.compile("([A-Za-z0-9_$]+)\\.([A-Za-z0-9_$]+)");
    /** What Debezium takes as a connector name (its topic prefix), which keys the saved position. */
    private static final Pattern CONNECTOR_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /** DeltaForge keys of {@code spec} that have no counterpart here, with the reason. */
    private static final Map<String, String> SPEC_NOT_SUPPORTED = Map.of(
            "sharding", "not supported: one pipeline process reads the binlog; workers scale by the consumer group",
            "connection_policy", "not supported: the binlog reader has one connection to the server of the dsn",
            "sink_batch_deadline_secs", "not supported: a stream write that fails is retried until it succeeds",
            "schema_sensing", "not supported",
            "journal", "not supported: a batch whose script fails goes to stream.deadLetterKey"
                    + " (application.properties)");
    private static final Map<String, String> SOURCE_NOT_SUPPORTED = Map.of(
            "outbox", "not supported: row changes only",
            "on_schema_drift", "not supported: a server that cannot continue from the saved position is refused"
                    + " (docs/guarantees.md, Database failover)");
    private static final Map<String, String> SINK_NOT_SUPPORTED = Map.of(
            "key", "not supported: stream entries have no key field; the workers read the event",
            "send_timeout_secs", "not supported: a stream write that fails is retried until it succeeds",
            "batch_timeout_secs", "not supported: a stream write that fails is retried until it succeeds",
            "connect_timeout_secs", "not supported: the Redis client's timeouts are fixed",
            "filter", "not supported: every event the script returns is written");

    private final String file;
    private final EnvOrFilePropertiesFunction environment;
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private String name;
    private String tenant;
    private Script script;

    private record Problem(int line, String text) {
    }

    private PipelineFile(String file, Map<String, String> environment) {
        this.file = file;
        this.environment = new EnvOrFilePropertiesFunction(environment);
    }

    /**
     * The file named by {@code --pipeline FILE} (or {@code --pipeline=FILE}) in the arguments, else by
     * {@code PIPELINE_FILE}; one file per process.
     */
    public static Choice choose(String[] args, Map<String, String> environment) {
        List<String> rest = new ArrayList<>();
        String given = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value;
            if (OPTION.equals(arg)) {
                if (i + 1 >= args.length || args[i + 1].isBlank()) {
                    throw new ConfigurationException(OPTION + " needs a file: a DeltaForge pipeline file");
                }
                value = args[++i];
            } else if (arg.startsWith(OPTION + "=")) {
                value = arg.substring(OPTION.length() + 1);
            } else {
                rest.add(arg);
                continue;
            }
            if (given != null) {
                throw new ConfigurationException(OPTION + " is given twice (" + given + ", " + value + "): one pipeline"
                        + " file per process; start a process for each");
            }
            given = value;
        }
        String fromEnvironment = environment.get(VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            if (given != null && !Path.of(given).toAbsolutePath().normalize()
                    .equals(Path.of(fromEnvironment).toAbsolutePath().normalize())) {
                throw new ConfigurationException(OPTION + " " + given + " and " + VARIABLE + "=" + fromEnvironment
                        + " name two pipeline files: one pipeline file per process; give one of them");
            }
            given = given != null ? given : fromEnvironment;
        }
        return new Choice(given == null ? null : Path.of(given), rest.toArray(String[]::new));
    }

    /** Reads and maps the file; every problem of it in one exception. */
    public static PipelineFile load(Path file, Map<String, String> environment) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigurationException("pipeline file " + file + " cannot be read (" + e.getClass().getSimpleName()
                    + ")");
        }
        return parse(file.toString(), text, environment);
    }

    /** Maps the text of a pipeline file ({@code file} names it in messages). */
    public static PipelineFile parse(String file, String text, Map<String, String> environment) {
        PipelineFile pipeline = new PipelineFile(file, environment);
        pipeline.read(text);
        if (!pipeline.problems.isEmpty()) {
            List<Problem> sorted = new ArrayList<>(pipeline.problems);
            sorted.sort(Comparator.comparingInt(Problem::line));
            StringBuilder message = new StringBuilder("pipeline file ").append(file);
            if (sorted.size() == 1) {
                message.append(": ").append(sorted.get(0).text());
            } else {
                message.append(": ").append(sorted.size()).append(" problems");
                sorted.forEach(problem -> message.append("\n  ").append(problem.text()));
            }
            throw new ConfigurationException(message.toString());
        }
        return pipeline;
    }

    /**
     * The settings the file gives, by their keys in application.properties. Values may hold secrets (the dsn's
     * password): never log them. {@code script.file} is not among them: the script is {@link #script()}.
     */
    public Map<String, String> settings() {
        return settings;
    }

    /** The JavaScript processor, when the file has one. */
    public Optional<Script> script() {
        return Optional.ofNullable(script);
    }

    /** {@code metadata.name}. */
    public String name() {
        return name;
    }

    /** {@code metadata.tenant}, or null. */
    public String tenant() {
        return tenant;
    }

    /** The file as the command line or the environment named it. */
    public String file() {
        return file;
    }

    // ------------------------------------------------------------------------------------------------------------

    private void read(String text) {
        Node root = null;
        try {
            int documents = 0;
            for (Node document : new Compose(LoadSettings.builder().setLabel(file).build()).composeAllFromString(text)) {
                documents++;
                if (documents == 1) {
                    root = document;
                } else {
                    problem("", "a second YAML document: one pipeline per file", document);
                    return;
                }
            }
        } catch (MarkedYamlEngineException e) {
            // the problem and its place only: the excerpt of the file Snakeyaml adds may show a password
            int line = e.getProblemMark().map(mark -> mark.getLine() + 1).orElse(0);
            problems.add(new Problem(line, "not valid YAML: " + (e.getContext() == null ? "" : e.getContext() + ", ")
                    + e.getProblem() + (line > 0 ? " (line " + line + ")" : "")));
            return;
        } catch (YamlEngineException e) {
            problems.add(new Problem(0, "not valid YAML"));
            return;
        }
        if (root == null) {
            problems.add(new Problem(0, "empty: a DeltaForge pipeline (apiVersion: deltaforge/v1, kind: Pipeline)"));
            return;
        }
        Map<String, Node> top = entries(root, "", Set.of("apiVersion", "kind", "metadata", "spec"), Map.of());
        if (top == null) {
            return;
        }
        expect(top, "apiVersion", "", "deltaforge/v1");
        expect(top, "kind", "", "Pipeline");
        Node metadata = required(top, "metadata", "", root);
        if (metadata != null) {
            metadata(metadata);
        }
        Node spec = required(top, "spec", "", root);
        if (spec != null) {
            spec(spec);
        }
    }

    private void expect(Map<String, Node> entries, String key, String parent, String only) {
        Node node = entries.get(key);
        if (node != null) {
            String value = text(node, path(parent, key));
            if (value != null && !value.equals(only)) {
                problem(path(parent, key), "'" + value + "' is not supported: " + only + " only", node);
            }
        }
    }

    private void metadata(Node node) {
        Map<String, Node> metadata = entries(node, "metadata", Set.of("name", "tenant", "labels", "annotations"),
                Map.of());
        if (metadata == null) {
            return;
        }
        Node nameNode = required(metadata, "name", "metadata", node);
        if (nameNode != null) {
            name = text(nameNode, "metadata.name");
            if (name != null && !CONNECTOR_NAME.matcher(name).matches()) {
                problem("metadata.name", "'" + name + "' cannot name the connector: letters, digits, '.', '_' and"
                        + " '-' only", nameNode);
            } else if (name != null) {
                // the connector's name keys the saved position; the Camel context's name is in logs and metrics
                settings.put("cdc.name", name);
                settings.put("camel.main.name", name);
            }
        }
        if (metadata.containsKey("tenant")) {
            tenant = text(metadata.get("tenant"), "metadata.tenant");
        }
        for (String labels : List.of("labels", "annotations")) {
            // DeltaForge's API and dashboards filter on them; nothing here does: read and checked only
            Map<String, Node> entries = entries(metadata.get(labels), "metadata." + labels, null, Map.of());
            if (entries != null) {
                entries.forEach((key, value) -> text(value, "metadata." + labels + "." + key));
            }
        }
    }

    private void spec(Node node) {
        Map<String, Node> spec = entries(node, "spec", Set.of("source", "processors", "sinks", "batch", "commit_policy"),
                SPEC_NOT_SUPPORTED);
        if (spec == null) {
            return;
        }
        Node source = required(spec, "source", "spec", node);
        if (source != null) {
            source(source);
        }
        if (spec.containsKey("processors")) {
            processors(spec.get("processors"));
        }
        Node sinks = required(spec, "sinks", "spec", node);
        if (sinks != null) {
            sinks(sinks);
        }
        if (spec.containsKey("batch")) {
            batch(spec.get("batch"));
        }
        if (spec.containsKey("commit_policy")) {
            commitPolicy(spec.get("commit_policy"));
        }
    }

    private void source(Node node) {
        String type = type(node, "spec.source");
        if (type == null) {
            return;
        }
        if (!type.equals("mysql")) {
            problem("spec.source.type", type.equals("postgres")
                    ? "postgres is not supported: this application reads the binlog of MySQL or MariaDB (type: mysql)"
                    : "unknown source type '" + type + "' (type: mysql)", field(node, "type"));
            return;
        }
        Map<String, Node> source = entries(node, "spec.source", Set.of("type", "config"), Map.of());
        Node configNode = required(source, "config", "spec.source", node);
        if (configNode == null) {
            return;
        }
        String path = "spec.source.config";
        Map<String, Node> config = entries(configNode, path, Set.of("id", "dsn", "tables", "snapshot"),
                SOURCE_NOT_SUPPORTED);
        if (config == null) {
            return;
        }
        Node id = required(config, "id", path, configNode);
        if (id != null) {
            // DeltaForge keys its checkpoints by it; here the connector's name (metadata.name) does
            text(id, path + ".id");
        }
        Node dsnNode = required(config, "dsn", path, configNode);
        String dsn = dsnNode == null ? null : text(dsnNode, path + ".dsn");
        if (dsn != null) {
            try {
                MysqlDsn.parse(dsn);
                settings.put("cdc.dsn", dsn);
            } catch (ConfigurationException e) {
                problem(path + ".dsn", e.getMessage(), dsnNode);
            }
        }
        Node tablesNode = required(config, "tables", path, configNode);
        if (tablesNode != null) {
            tables(tablesNode, path + ".tables");
        }
        if (config.containsKey("snapshot")) {
            snapshot(config.get("snapshot"), path + ".snapshot");
        }
    }

    private void tables(Node node, String path) {
        List<Node> items = sequence(node, path);
        if (items == null) {
            return;
        }
        if (items.isEmpty()) {
            problem(path, "an empty list (every table) is not supported: name each table as db.table", node);
            return;
        }
        Set<String> tables = new LinkedHashSet<>();
        Set<String> databases = new LinkedHashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String table = text(items.get(i), path + "[" + i + "]");
            if (table == null) {
                continue;
            }
            Matcher matcher = TABLE.matcher(table.trim());
            if (matcher.matches()) {
                tables.add(table.trim());
                databases.add(matcher.group(1));
            } else if (table.contains("%") || table.contains("*")) {
                problem(path + "[" + i + "]", "table patterns are not supported: name each table as db.table",
                        items.get(i));
            } else {
                problem(path + "[" + i + "]", "'" + table + "' is not a table name of the form db.table", items.get(i));
            }
        }
        if (!tables.isEmpty()) {
            settings.put("cdc.tables", String.join(",", tables));
            settings.put("cdc.databases", String.join(",", databases));
        }
    }

    private void snapshot(Node node, String path) {
        Map<String, Node> snapshot = entries(node, path, Set.of("mode"), Map.of(
                "max_parallel_tables", "not supported: no snapshot is taken (mode: never)",
                "chunk_size", "not supported: no snapshot is taken (mode: never)"));
        if (snapshot == null || !snapshot.containsKey("mode")) {
            return;
        }
        String mode = text(snapshot.get("mode"), path + ".mode");
        if ("never".equals(mode)) {
            // start at the binlog's current position, without reading existing rows: Debezium's no_data
            settings.put("cdc.snapshotMode", "no_data");
        } else if (mode != null) {
            problem(path + ".mode", "'" + mode + "' is not supported: never only (a change invalidates; rows that"
                    + " exist already have nothing to invalidate)", snapshot.get("mode"));
        }
    }

    private void processors(Node node) {
        List<Node> items = sequence(node, "spec.processors");
        if (items == null) {
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            String path = "spec.processors[" + i + "]";
            Node processor = items.get(i);
            String type = type(processor, path);
            if (type == null) {
                continue;
            }
            switch (type) {
                case "javascript" -> javascript(processor, path);
                case "filter" -> filter(processor, path);
                case "outbox", "flatten" -> problem(path + ".type", type + " processors are not supported",
                        field(processor, "type"));
                default -> problem(path + ".type", "unknown processor type '" + type + "' (type: javascript)",
                        field(processor, "type"));
            }
        }
    }

    private void javascript(Node node, String path) {
        Map<String, Node> processor = entries(node, path, Set.of("type", "id", "inline", "limits"), Map.of());
        if (processor == null) {
            return;
        }
        if (script != null) {
            problem(path, "a second javascript processor is not supported: one script per pipeline (one processBatch"
                    + " that does both)", node);
            return;
        }
        Node idNode = required(processor, "id", path, node);
        String id = idNode == null ? null : text(idNode, path + ".id");
        Node inline = required(processor, "inline", path, node);
        if (inline != null) {
            if (!(inline instanceof ScalarNode source) || source.getValue().isBlank()) {
                problem(path + ".inline", "expected the script's source (inline: |)", inline);
            } else if (id != null) {
                // a literal block starts on the line after its indicator
                boolean block = source.getScalarStyle() == ScalarStyle.LITERAL
                        || source.getScalarStyle() == ScalarStyle.FOLDED;
                int line = line(inline) + (block ? 1 : 0);
                script = new Script(id, source.getValue(), line);
            }
        }
        if (processor.containsKey("limits")) {
            String limitsPath = path + ".limits";
            Map<String, Node> limits = entries(processor.get("limits"), limitsPath, Set.of("timeout_ms", "mem_mb"),
                    Map.of("cpu_ms", "not supported: limits.timeout_ms bounds a call's time, limits.mem_mb what it"
                            + " allocates"));
            if (limits != null) {
                number(limits.get("timeout_ms"), limitsPath + ".timeout_ms", "script.timeoutMs", Long.MAX_VALUE);
                number(limits.get("mem_mb"), limitsPath + ".mem_mb", "script.memMb", Long.MAX_VALUE);
            }
        }
    }

    /**
     * DeltaForge's filter processor, into the {@code filter.*} settings: applied before the script wherever it
     * stands among the processors (the script gets fewer events; what it returns is not filtered again).
     */
    private void filter(Node node, String path) {
        Map<String, Node> filter = entries(node, path, Set.of("type", "id", "ops", "tables", "fields", "match"),
                Map.of());
        if (filter == null) {
            return;
        }
        if (settings.containsKey("filter.match")) {
            problem(path, "a second filter processor is not supported: one filter per pipeline (its conditions"
                    + " combine by match: all or any)", node);
            return;
        }
        if (filter.containsKey("id")) {
            text(filter.get("id"), path + ".id");
        }
        if (filter.containsKey("ops")) {
            List<String> ops = texts(filter.get("ops"), path + ".ops");
            for (int i = 0; ops != null && i < ops.size(); i++) {
                if (!Set.of("create", "update", "delete", "read", "truncate").contains(ops.get(i))) {
                    problem(path + ".ops[" + i + "]", "'" + ops.get(i) + "' is not an operation (create, update,"
                            + " delete, read, truncate)", sequenceItem(filter.get("ops"), i));
                }
            }
            if (ops != null) {
                settings.put("filter.ops", String.join(",", ops));
            }
        }
        if (filter.containsKey("tables")) {
            String tablesPath = path + ".tables";
            Map<String, Node> tables = entries(filter.get("tables"), tablesPath, Set.of("include", "exclude"), Map.of());
            if (tables != null && tables.containsKey("include")) {
                List<String> include = texts(tables.get("include"), tablesPath + ".include");
                if (include != null) {
                    settings.put("filter.tablesInclude", String.join(",", include));
                }
            }
            if (tables != null && tables.containsKey("exclude")) {
                List<String> exclude = texts(tables.get("exclude"), tablesPath + ".exclude");
                if (exclude != null) {
                    settings.put("filter.tablesExclude", String.join(",", exclude));
                }
            }
        }
        if (filter.containsKey("fields")) {
            List<Node> fields = sequence(filter.get("fields"), path + ".fields");
            List<Map<String, Object>> conditions = new ArrayList<>();
            for (int i = 0; fields != null && i < fields.size(); i++) {
                String fieldPath = path + ".fields[" + i + "]";
                Map<String, Node> field = entries(fields.get(i), fieldPath, Set.of("path", "op", "value"), Map.of());
                if (field == null) {
                    continue;
                }
                Map<String, Object> condition = new LinkedHashMap<>();
                Node pathNode = required(field, "path", fieldPath, fields.get(i));
                Node opNode = required(field, "op", fieldPath, fields.get(i));
                condition.put("path", pathNode == null ? null : text(pathNode, fieldPath + ".path"));
                condition.put("op", opNode == null ? null : text(opNode, fieldPath + ".op"));
                if (field.containsKey("value")) {
                    condition.put("value", jsonValue(field.get("value"), fieldPath + ".value"));
                }
                try {
                    EventFilter.checkCondition(JSON.valueToTree(condition));
                    conditions.add(condition);
                } catch (ConfigurationException e) {
                    problem(fieldPath, e.getMessage().replaceFirst("^filter\\.fields: ", ""), fields.get(i));
                }
            }
            try {
                settings.put("filter.fields", JSON.writeValueAsString(conditions));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        String match = filter.containsKey("match") ? text(filter.get("match"), path + ".match") : "all";
        if (match != null && !Set.of("all", "any").contains(match)) {
            problem(path + ".match", "'" + match + "' is neither all nor any", filter.get("match"));
        }
        settings.put("filter.match", match == null ? "all" : match);
    }

    /** The texts of a list of scalars. */
    private List<String> texts(Node node, String path) {
        List<Node> items = sequence(node, path);
        if (items == null) {
            return null;
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String text = text(items.get(i), path + "[" + i + "]");
            if (text != null) {
                texts.add(text.trim());
            }
        }
        return texts;
    }

    private static Node sequenceItem(Node node, int index) {
        return node instanceof SequenceNode sequence ? sequence.getValue().get(index) : node;
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
            problem(path, "expected a value or a list of values", node);
            return null;
        }
        if (scalar.getTag().equals(Tag.NULL)) {
            return null;
        }
        String text = text(node, path);
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

    private void sinks(Node node) {
        List<Node> items = sequence(node, "spec.sinks");
        if (items == null) {
            return;
        }
        if (items.isEmpty()) {
            problem("spec.sinks", "no sink: a redis sink is needed", node);
        }
        for (int i = 0; i < items.size(); i++) {
            String path = "spec.sinks[" + i + "]";
            if (i > 0) {
                problem(path, "a second sink is not supported: the pipeline writes one Redis stream", items.get(i));
                continue;
            }
            sink(items.get(i), path);
        }
    }

    private void sink(Node node, String path) {
        String type = type(node, path);
        if (type == null) {
            return;
        }
        if (!type.equals("redis")) {
            problem(path + ".type", switch (type) {
                case "kafka", "nats", "http", "s3", "clickhouse" -> "a " + type + " sink is not supported: the workers"
                        + " read a Redis stream (type: redis)";
                default -> "unknown sink type '" + type + "' (type: redis)";
            }, field(node, "type"));
            return;
        }
        Map<String, Node> sink = entries(node, path, Set.of("type", "config"), Map.of());
        Node configNode = required(sink, "config", path, node);
        if (configNode == null) {
            return;
        }
        String configPath = path + ".config";
        Map<String, Node> config = entries(configNode, configPath, Set.of("id", "uri", "stream", "envelope",
                "encoding", "required"), SINK_NOT_SUPPORTED);
        if (config == null) {
            return;
        }
        Node id = required(config, "id", configPath, configNode);
        if (id != null) {
            text(id, configPath + ".id");
        }
        Node uriNode = required(config, "uri", configPath, configNode);
        String uri = uriNode == null ? null : text(uriNode, configPath + ".uri");
        if (uri != null) {
            try {
                RedisAddress.parse(uri, configPath + ".uri");
                settings.put("redis.uri", uri);
            } catch (ConfigurationException e) {
                problem(configPath + ".uri", e.getMessage(), uriNode);
            }
        }
        Node streamNode = required(config, "stream", configPath, configNode);
        String stream = streamNode == null ? null : text(streamNode, configPath + ".stream");
        if (stream != null) {
            if (stream.isBlank()) {
                problem(configPath + ".stream", "no stream name", streamNode);
            } else {
                settings.put("stream.key", stream);
            }
        }
        if (config.containsKey("envelope")) {
            Node envelope = config.get("envelope");
            String envelopeType = type(envelope, configPath + ".envelope");
            if (envelopeType != null && !envelopeType.equals("native")) {
                problem(configPath + ".envelope.type", "'" + envelopeType + "' is not supported: native only (the"
                        + " workers read native events)", field(envelope, "type"));
            } else if (envelopeType != null) {
                entries(envelope, configPath + ".envelope", Set.of("type"), Map.of());
            }
        }
        if (config.containsKey("encoding")) {
            Node encoding = config.get("encoding");
            String value = encoding instanceof MappingNode ? type(encoding, configPath + ".encoding")
                    : text(encoding, configPath + ".encoding");
            if (value != null && !value.equals("json")) {
                problem(configPath + ".encoding", "'" + value + "' is not supported: json only (the workers read"
                        + " JSON)", encoding);
            } else if (value != null && encoding instanceof MappingNode) {
                entries(encoding, configPath + ".encoding", Set.of("type"), Map.of());
            }
        }
        if (config.containsKey("required")) {
            Boolean required = bool(config.get("required"), configPath + ".required");
            if (Boolean.FALSE.equals(required)) {
                problem(configPath + ".required", "false is not supported: the position is saved only once the"
                        + " stream has the changes (true only)", config.get("required"));
            }
        }
    }

    private void batch(Node node) {
        Map<String, Node> batch = entries(node, "spec.batch", Set.of("max_events", "max_bytes", "max_ms",
                "respect_source_tx"), Map.of("max_inflight", "not supported: batch.maxEventsInFlight"
                + " (application.properties) bounds the changes on their way to the stream"));
        if (batch == null) {
            return;
        }
        number(batch.get("max_events"), "spec.batch.max_events", "batch.maxEvents", Integer.MAX_VALUE);
        number(batch.get("max_bytes"), "spec.batch.max_bytes", "batch.maxBytes", Long.MAX_VALUE);
        number(batch.get("max_ms"), "spec.batch.max_ms", "batch.maxMs", Long.MAX_VALUE);
        if (batch.containsKey("respect_source_tx")) {
            Boolean respect = bool(batch.get("respect_source_tx"), "spec.batch.respect_source_tx");
            if (Boolean.FALSE.equals(respect)) {
                problem("spec.batch.respect_source_tx", "false is not supported: a batch always holds whole"
                        + " transactions (true only)", batch.get("respect_source_tx"));
            }
        }
    }

    private void commitPolicy(Node node) {
        String mode = type(node, "spec.commit_policy", "mode");
        if (mode == null) {
            return;
        }
        // with the one sink, which is required, "all" waits for the same acknowledgement as "required"
        if (mode.equals("required") || mode.equals("all")) {
            entries(node, "spec.commit_policy", Set.of("mode"), Map.of());
        } else {
            problem("spec.commit_policy.mode", "'" + mode + "' is not supported: required only (the position is saved"
                    + " once the stream has the changes)", field(node, "mode"));
        }
    }

    // --- the node walk --------------------------------------------------------------------------------------------

    /**
     * The entries of a mapping by key; null (and a problem) for anything else. A duplicate key, a key of
     * {@code notSupported} (with its reason) and a key not in {@code known} (null: any key) are problems.
     */
    private Map<String, Node> entries(Node node, String path, Set<String> known, Map<String, String> notSupported) {
        if (node == null) {
            return null;
        }
        if (!(node instanceof MappingNode mapping)) {
            problem(path, "expected a mapping (key: value lines)", node);
            return null;
        }
        Map<String, Node> entries = new LinkedHashMap<>();
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
                problem(path, "a key that is not a name", tuple.getKeyNode());
                continue;
            }
            String key = keyNode.getValue();
            String keyPath = path(path, key);
            if (entries.containsKey(key)) {
                problem(keyPath, "duplicate key", keyNode);
            } else if (notSupported.containsKey(key)) {
                problem(keyPath, notSupported.get(key), keyNode);
            } else if (known != null && !known.contains(key)) {
                problem(keyPath, "unknown key", keyNode);
            } else {
                entries.put(key, tuple.getValueNode());
            }
        }
        return entries;
    }

    /** The {@code type} of a mapping (the key that says what the rest means), or null with a problem. */
    private String type(Node node, String path) {
        return type(node, path, "type");
    }

    private String type(Node node, String path, String key) {
        if (!(node instanceof MappingNode)) {
            problem(path, "expected a mapping with " + key + ": ...", node);
            return null;
        }
        Node value = field(node, key);
        if (value == null) {
            problem(path + "." + key, "missing", node);
            return null;
        }
        return text(value, path + "." + key);
    }

    /** The value of a key of a mapping node, or null. */
    private static Node field(Node node, String key) {
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return tuple.getValueNode();
                }
            }
        }
        return null;
    }

    private Node required(Map<String, Node> entries, String key, String parent, Node parentNode) {
        Node value = entries == null ? null : entries.get(key);
        if (entries != null && value == null) {
            problem(path(parent, key), "missing", parentNode);
        }
        return value;
    }

    private List<Node> sequence(Node node, String path) {
        if (!(node instanceof SequenceNode sequence)) {
            problem(path, "expected a list (- item lines)", node);
            return null;
        }
        return sequence.getValue();
    }

    /** A scalar's text, its {@code ${VAR}} expanded; null with a problem when it is none or a variable is unset. */
    private String text(Node node, String path) {
        if (!(node instanceof ScalarNode scalar)) {
            problem(path, "expected a value", node);
            return null;
        }
        if (scalar.getTag().equals(Tag.NULL)) {
            problem(path, "no value", node);
            return null;
        }
        Matcher placeholder = PLACEHOLDER.matcher(scalar.getValue());
        StringBuilder value = new StringBuilder();
        boolean complete = true;
        while (placeholder.find()) {
            String variable = placeholder.group(1);
            String replacement = null;
            if (!NAME.matcher(variable).matches()) {
                problem(path, "${" + variable + "}: templates are not supported, only ${VARIABLE} of the environment",
                        node);
            } else {
                try {
                    replacement = environment.apply(variable);
                    if (replacement == null) {
                        problem(path, "${" + variable + "}: " + variable + " is not set (export " + variable
                                + ", or " + variable + "_FILE naming a file that holds it)", node);
                    }
                } catch (ConfigurationException e) {
                    problem(path, "${" + variable + "}: " + e.getMessage(), node);
                }
            }
            complete &= replacement != null;
            placeholder.appendReplacement(value, Matcher.quoteReplacement(replacement == null ? "" : replacement));
        }
        placeholder.appendTail(value);
        return complete ? value.toString() : null;
    }

    /** A positive whole number into {@code setting}. */
    private void number(Node node, String path, String setting, long max) {
        if (node == null) {
            return;
        }
        String text = text(node, path);
        if (text == null) {
            return;
        }
        try {
            long value = Long.parseLong(text.trim());
            if (value < 1 || value > max) {
                throw new NumberFormatException();
            }
            settings.put(setting, Long.toString(value));
        } catch (NumberFormatException e) {
            problem(path, "'" + text + "' is not a whole number from 1 to " + max, node);
        }
    }

    private Boolean bool(Node node, String path) {
        String text = text(node, path);
        if (text == null) {
            return null;
        }
        return switch (text.trim()) {
            case "true", "True", "TRUE" -> Boolean.TRUE;
            case "false", "False", "FALSE" -> Boolean.FALSE;
            default -> {
                problem(path, "'" + text + "' is neither true nor false", node);
                yield null;
            }
        };
    }

    private static String path(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    private static int line(Node node) {
        return node.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
    }

    private void problem(String path, String text, Node node) {
        int line = node == null ? 0 : line(node);
        problems.add(new Problem(line, (path.isEmpty() ? "" : path + ": ") + text + (line > 0 ? " (line " + line + ")"
                : "")));
    }
}
