package dev.cacheinvalidation.pipelinefile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.cacheinvalidation.config.ConfigurationException;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * A DeltaForge pipeline file ({@code apiVersion: deltaforge/v1}, {@code kind: Pipeline}) read as settings of this
 * application: {@code java -jar cache-invalidation.jar --pipeline FILE}, or {@code PIPELINE_FILE}. What the file
 * says replaces the corresponding setting ({@link #settings()}, {@link #script()}); application.properties keeps the
 * rest. Every key is either mapped or refused ({@link Refusals}): a key not known here, or a value this application
 * cannot honour (a Kafka sink, another envelope, a commit policy that does not wait for the stream), is a problem
 * naming its path and line, and all problems of the file are reported at once by one {@link ConfigurationException},
 * before anything starts.
 * <p>
 * {@code ${VAR}} in a value is expanded ({@link Placeholders}); the inline script is taken as it is: its
 * {@code ${...}} are JavaScript's template literals. No message shows the dsn or the uri, which may hold passwords.
 */
public final class PipelineFile {

    /** The command line option that names the file. */
    public static final String OPTION = "--pipeline";
    /** The environment variable that names the file when the command line does not. */
    public static final String VARIABLE = "PIPELINE_FILE";

    /** The JavaScript processor: its id, its source as the file has it, and the line of the file it starts on. */
    public record Script(String id, String source, int line) {
    }

    /** The files the command line or the environment names (none: empty), and the arguments left for Camel Main. */
    public record Choice(List<Path> files, String[] rest) {

        /** The first file, or null. */
        public Path file() {
            return files.isEmpty() ? null : files.get(0);
        }
    }

    /** What Debezium takes as a connector name (its topic prefix), which keys the saved position. */
    private static final Pattern CONNECTOR_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final String file;
    private final YamlWalk walk;
    private String name;
    private String tenant;
    private Script script;

    private PipelineFile(String file, Map<String, String> environment) {
        this.file = file;
        this.walk = new YamlWalk(file, environment);
    }

    /**
     * The files named by {@code --pipeline FILE} (or {@code --pipeline=FILE}) in the arguments, each once, else the
     * one {@code PIPELINE_FILE} names.
     */
    public static Choice choose(String[] args, Map<String, String> environment) {
        List<String> rest = new ArrayList<>();
        List<Path> given = new ArrayList<>();
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
            Path file = Path.of(value);
            if (given.stream().anyMatch(other -> same(other, file))) {
                throw new ConfigurationException(OPTION + " " + value + " is given twice: each file is one pipeline");
            }
            given.add(file);
        }
        String fromEnvironment = environment.get(VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            Path file = Path.of(fromEnvironment);
            if (given.isEmpty()) {
                given.add(file);
            } else if (given.size() > 1 || !same(given.get(0), file)) {
                throw new ConfigurationException(OPTION + " " + given.get(0) + " and " + VARIABLE + "="
                        + fromEnvironment + " name different pipeline files: give every file with " + OPTION);
            }
        }
        return new Choice(List.copyOf(given), rest.toArray(String[]::new));
    }

    private static boolean same(Path one, Path other) {
        return one.toAbsolutePath().normalize().equals(other.toAbsolutePath().normalize());
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
        pipeline.walk.failIfAny();
        return pipeline;
    }

    /**
     * The settings the file gives, by their keys in application.properties. Values may hold secrets (the dsn's
     * password): never log them. {@code script.file} is not among them: the script is {@link #script()}.
     */
    public Map<String, String> settings() {
        return walk.settings();
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

    private void read(String text) {
        Node root = walk.root(text);
        Map<String, Node> top = walk.entries(root, "", Set.of("apiVersion", "kind", "metadata", "spec"), Map.of());
        if (top == null) {
            return;
        }
        expect(top, "apiVersion", "deltaforge/v1");
        expect(top, "kind", "Pipeline");
        Node metadata = walk.required(top, "metadata", "", root);
        if (metadata != null) {
            metadata(metadata);
        }
        Node spec = walk.required(top, "spec", "", root);
        if (spec != null) {
            spec(spec);
        }
    }

    private void expect(Map<String, Node> entries, String key, String only) {
        Node node = entries.get(key);
        if (node != null) {
            String value = walk.text(node, key);
            if (value != null && !value.equals(only)) {
                walk.problem(key, "'" + value + "' is not supported: " + only + " only", node);
            }
        }
    }

    private void metadata(Node node) {
        Map<String, Node> metadata = walk.entries(node, "metadata", Set.of("name", "tenant", "labels", "annotations"),
                Map.of());
        if (metadata == null) {
            return;
        }
        Node nameNode = walk.required(metadata, "name", "metadata", node);
        if (nameNode != null) {
            name = walk.text(nameNode, "metadata.name");
            if (name != null && !CONNECTOR_NAME.matcher(name).matches()) {
                walk.problem("metadata.name", "'" + name + "' cannot name the connector: letters, digits, '.', '_'"
                        + " and '-' only", nameNode);
            } else if (name != null) {
                // the connector's name keys the saved position; the Camel context's name is in logs and metrics
                walk.settings().put("cdc.name", name);
                walk.settings().put("camel.main.name", name);
            }
        }
        if (metadata.containsKey("tenant")) {
            tenant = walk.text(metadata.get("tenant"), "metadata.tenant");
        }
        for (String labels : List.of("labels", "annotations")) {
            // DeltaForge's API and dashboards filter on them; nothing here does: read and checked only
            Map<String, Node> entries = walk.entries(metadata.get(labels), "metadata." + labels, null, Map.of());
            if (entries != null) {
                entries.forEach((key, value) -> walk.text(value, "metadata." + labels + "." + key));
            }
        }
    }

    private void spec(Node node) {
        Map<String, Node> spec = walk.entries(node, "spec", Set.of("source", "processors", "sinks", "batch",
                "commit_policy"), Refusals.SPEC);
        if (spec == null) {
            return;
        }
        Node source = walk.required(spec, "source", "spec", node);
        if (source != null) {
            new SourceSection(walk).read(source);
        }
        if (spec.containsKey("processors")) {
            ProcessorSection processors = new ProcessorSection(walk);
            processors.read(spec.get("processors"));
            script = processors.script();
        }
        DeliverySection delivery = new DeliverySection(walk);
        Node sinks = walk.required(spec, "sinks", "spec", node);
        if (sinks != null) {
            delivery.sinks(sinks);
        }
        if (spec.containsKey("batch")) {
            delivery.batch(spec.get("batch"));
        }
        if (spec.containsKey("commit_policy")) {
            delivery.commitPolicy(spec.get("commit_policy"));
        }
    }
}
