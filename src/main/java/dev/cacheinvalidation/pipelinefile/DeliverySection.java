package dev.cacheinvalidation.pipelinefile;

import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.RedisAddress;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * How changes reach the stream: {@code spec.sinks} (the one Redis stream), {@code spec.batch} and
 * {@code spec.commit_policy}, into the {@code redis.*}, {@code stream.*} and {@code batch.*} settings.
 */
final class DeliverySection {

    private final YamlWalk walk;

    DeliverySection(YamlWalk walk) {
        this.walk = walk;
    }

    void sinks(Node node) {
        List<Node> items = walk.sequence(node, "spec.sinks");
        if (items == null) {
            return;
        }
        if (items.isEmpty()) {
            walk.problem("spec.sinks", "no sink: a redis sink is needed", node);
        }
        for (int i = 0; i < items.size(); i++) {
            String path = "spec.sinks[" + i + "]";
            if (i > 0) {
                walk.problem(path, "a second sink is not supported: the pipeline writes one Redis stream", items.get(i));
                continue;
            }
            sink(items.get(i), path);
        }
    }

    private void sink(Node node, String path) {
        String type = walk.type(node, path);
        if (type == null) {
            return;
        }
        if (!type.equals("redis")) {
            walk.problem(path + ".type", switch (type) {
                case "kafka", "nats", "http", "s3", "clickhouse" -> "a " + type + " sink is not supported: the workers"
                        + " read a Redis stream (type: redis)";
                default -> "unknown sink type '" + type + "' (type: redis)";
            }, YamlWalk.field(node, "type"));
            return;
        }
        Map<String, Node> sink = walk.entries(node, path, Set.of("type", "config"), Map.of());
        Node configNode = walk.required(sink, "config", path, node);
        String configPath = path + ".config";
        Map<String, Node> config = walk.entries(configNode, configPath, Set.of("id", "uri", "stream", "envelope",
                "encoding", "required"), Refusals.SINK);
        if (config == null) {
            return;
        }
        walk.requiredText(config, "id", configPath, configNode);
        walk.checkedSetting(config, "uri", configPath, configNode, "redis.uri",
                uri -> RedisAddress.parse(uri, configPath + ".uri"));
        walk.checkedSetting(config, "stream", configPath, configNode, "stream.key", stream -> {
            if (stream.isBlank()) {
                throw new ConfigurationException("no stream name");
            }
        });
        if (config.containsKey("envelope")) {
            Node envelope = config.get("envelope");
            String envelopeType = walk.type(envelope, configPath + ".envelope");
            if (envelopeType != null && !envelopeType.equals("native")) {
                walk.problem(configPath + ".envelope.type", "'" + envelopeType + "' is not supported: native only"
                        + " (the workers read native events)", YamlWalk.field(envelope, "type"));
            } else if (envelopeType != null) {
                walk.entries(envelope, configPath + ".envelope", Set.of("type"), Map.of());
            }
        }
        if (config.containsKey("encoding")) {
            Node encoding = config.get("encoding");
            String value = encoding instanceof MappingNode ? walk.type(encoding, configPath + ".encoding")
                    : walk.text(encoding, configPath + ".encoding");
            if (value != null && !value.equals("json")) {
                walk.problem(configPath + ".encoding", "'" + value + "' is not supported: json only (the workers read"
                        + " JSON)", encoding);
            } else if (value != null && encoding instanceof MappingNode) {
                walk.entries(encoding, configPath + ".encoding", Set.of("type"), Map.of());
            }
        }
        walk.trueOnly(config.get("required"), configPath + ".required", "the position is saved only once the stream"
                + " has the changes");
    }

    void batch(Node node) {
        Map<String, Node> batch = walk.entries(node, "spec.batch", Set.of("max_events", "max_bytes", "max_ms",
                "respect_source_tx"), Refusals.BATCH);
        if (batch == null) {
            return;
        }
        walk.number(batch.get("max_events"), "spec.batch.max_events", "batch.maxEvents", Integer.MAX_VALUE);
        walk.number(batch.get("max_bytes"), "spec.batch.max_bytes", "batch.maxBytes", Long.MAX_VALUE);
        walk.number(batch.get("max_ms"), "spec.batch.max_ms", "batch.maxMs", Long.MAX_VALUE);
        walk.trueOnly(batch.get("respect_source_tx"), "spec.batch.respect_source_tx", "a batch always holds whole"
                + " transactions");
    }

    void commitPolicy(Node node) {
        String mode = walk.type(node, "spec.commit_policy", "mode");
        if (mode == null) {
            return;
        }
        // with the one sink, which is required, "all" waits for the same acknowledgement as "required"
        if (mode.equals("required") || mode.equals("all")) {
            walk.entries(node, "spec.commit_policy", Set.of("mode"), Map.of());
        } else {
            walk.problem("spec.commit_policy.mode", "'" + mode + "' is not supported: required only (the position is"
                    + " saved once the stream has the changes)", YamlWalk.field(node, "mode"));
        }
    }
}
