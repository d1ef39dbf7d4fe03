package dev.cacheinvalidation.pipelinefile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import dev.cacheinvalidation.config.ConfigurationException;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * The walk over the pipeline file's YAML nodes: every value is read with its path ({@code spec.sinks[0].config.uri})
 * and the line it stands on, every problem is collected with them, and the settings found are gathered by their keys
 * in application.properties. All problems are reported at once ({@link #failIfAny()}).
 */
final class YamlWalk {

    private final String file;
    private final Placeholders placeholders;
    private final List<Problem> problems = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();

    private record Problem(int line, String text) {
    }

    YamlWalk(String file, Map<String, String> environment) {
        this.file = file;
        this.placeholders = new Placeholders(environment);
    }

    Map<String, String> settings() {
        return settings;
    }

    /** The one document of the text, or null with a problem (not YAML, empty, or a second document). */
    Node root(String text) {
        Node root = null;
        try {
            for (Node document : new Compose(LoadSettings.builder().setLabel(file).build()).composeAllFromString(text)) {
                if (root != null) {
                    problem("", "a second YAML document: one pipeline per file", document);
                    return null;
                }
                root = document;
            }
        } catch (MarkedYamlEngineException e) {
            // the problem and its place only: the excerpt of the file Snakeyaml adds may show a password
            int line = e.getProblemMark().map(mark -> mark.getLine() + 1).orElse(0);
            problems.add(new Problem(line, "not valid YAML: " + (e.getContext() == null ? "" : e.getContext() + ", ")
                    + e.getProblem() + (line > 0 ? " (line " + line + ")" : "")));
            return null;
        } catch (YamlEngineException e) {
            problems.add(new Problem(0, "not valid YAML"));
            return null;
        }
        if (root == null) {
            problems.add(new Problem(0, "empty: a DeltaForge pipeline (apiVersion: deltaforge/v1, kind: Pipeline)"));
        }
        return root;
    }

    /** One {@link ConfigurationException} with every problem, by line, when there is any. */
    void failIfAny() {
        if (problems.isEmpty()) {
            return;
        }
        List<Problem> sorted = new ArrayList<>(problems);
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

    /**
     * The entries of a mapping by key; null (and a problem) for anything else. A duplicate key, a key of
     * {@code notSupported} (with its reason) and a key not in {@code known} (null: any key) are problems.
     */
    Map<String, Node> entries(Node node, String path, Set<String> known, Map<String, String> notSupported) {
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
    String type(Node node, String path) {
        return type(node, path, "type");
    }

    String type(Node node, String path, String key) {
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
    static Node field(Node node, String key) {
        if (node instanceof MappingNode mapping) {
            for (NodeTuple tuple : mapping.getValue()) {
                if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return tuple.getValueNode();
                }
            }
        }
        return null;
    }

    /** The node of {@code key}, or null with a problem naming it as missing. */
    Node required(Map<String, Node> entries, String key, String parent, Node parentNode) {
        Node value = entries == null ? null : entries.get(key);
        if (entries != null && value == null) {
            problem(path(parent, key), "missing", parentNode);
        }
        return value;
    }

    /** The text of a required key, or null with a problem. */
    String requiredText(Map<String, Node> entries, String key, String parent, Node parentNode) {
        Node node = required(entries, key, parent, parentNode);
        return node == null ? null : text(node, path(parent, key));
    }

    /**
     * A required value that {@code check} accepts (it throws {@link ConfigurationException} with the reason
     * otherwise) into {@code setting}.
     */
    void checkedSetting(Map<String, Node> entries, String key, String parent, Node parentNode, String setting,
            Consumer<String> check) {
        String value = requiredText(entries, key, parent, parentNode);
        if (value != null) {
            try {
                check.accept(value);
                settings.put(setting, value);
            } catch (ConfigurationException e) {
                problem(path(parent, key), e.getMessage(), entries.get(key));
            }
        }
    }

    List<Node> sequence(Node node, String path) {
        if (!(node instanceof SequenceNode sequence)) {
            problem(path, "expected a list (- item lines)", node);
            return null;
        }
        return sequence.getValue();
    }

    /** The texts of a list of scalars. */
    List<String> texts(Node node, String path) {
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

    static Node sequenceItem(Node node, int index) {
        return node instanceof SequenceNode sequence ? sequence.getValue().get(index) : node;
    }

    /** A scalar's text, its {@code ${VAR}} expanded; null with a problem when it is none or a variable is unset. */
    String text(Node node, String path) {
        if (!(node instanceof ScalarNode scalar)) {
            problem(path, "expected a value", node);
            return null;
        }
        if (scalar.getTag().equals(Tag.NULL)) {
            problem(path, "no value", node);
            return null;
        }
        return placeholders.expand(scalar.getValue(), text -> problem(path, text, node));
    }

    /** A positive whole number into {@code setting}. */
    void number(Node node, String path, String setting, long max) {
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

    Boolean bool(Node node, String path) {
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

    /** A value that may be true only: false is the problem {@code whyTrueOnly}. */
    void trueOnly(Node node, String path, String whyTrueOnly) {
        if (node != null && Boolean.FALSE.equals(bool(node, path))) {
            problem(path, "false is not supported: " + whyTrueOnly + " (true only)", node);
        }
    }

    static String path(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    static int line(Node node) {
        return node.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
    }

    void problem(String path, String text, Node node) {
        int line = node == null ? 0 : line(node);
        problems.add(new Problem(line, (path.isEmpty() ? "" : path + ": ") + text + (line > 0 ? " (line " + line + ")"
                : "")));
    }
}
