package dev.cacheinvalidation.pipelinefile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.config.ConfigurationException;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DeltaForge example's pipeline file (src/test/resources/deltaforge, the seed's file unchanged) read as our
 * settings, and every refusal: each names the key's path and line.
 */
class PipelineFileTest {

    private static final Path SEED = Path.of("src/test/resources/deltaforge/cache-invalidation.yaml");
    private static final String DSN = "mysql://cdc:pw-Secret-42@db.example:3306/app";
    private static final String REDIS = "redis://:redis-Secret-7@cache.example:6379";
    private static final Map<String, String> ENV = Map.of("MYSQL_DSN", DSN, "REDIS_URI", REDIS);

    @TempDir
    Path dir;

    @Test
    void theExamplesFileGivesOurSettingsAndItsScriptAsItIs() throws IOException {
        PipelineFile pipeline = PipelineFile.load(SEED, ENV);

        assertThat(pipeline.settings()).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
                Map.entry("cdc.name", "cache-invalidation"),
                Map.entry("camel.main.name", "cache-invalidation"),
                Map.entry("cdc.dsn", DSN),
                Map.entry("cdc.tables", "app.users,app.products,app.orders,app.inventory"),
                Map.entry("cdc.databases", "app"),
                Map.entry("script.timeoutMs", "500"),
                Map.entry("script.memMb", "128"),
                Map.entry("redis.uri", REDIS),
                Map.entry("stream.key", "cache:invalidations"),
                Map.entry("batch.maxEvents", "100"),
                Map.entry("batch.maxMs", "100")));
        assertThat(pipeline.name()).isEqualTo("cache-invalidation");
        assertThat(pipeline.tenant()).isEqualTo("acme");
        PipelineFile.Script script = pipeline.script().orElseThrow();
        assertThat(script.id()).isEqualTo("generate-cache-keys");
        assertThat(script.line()).isEqualTo(lineOf(seed(), "function processBatch(events) {"));
        // the inline block without its indentation, and its template literals untouched
        assertThat(script.source()).startsWith("function processBatch(events) {\n  return events.map(")
                .contains("keys.push(`user:${id}`);", "`strategy:${strategy}`").endsWith("return 'batched';\n}\n");
    }

    @Test
    void aVariableComesFromItsFileVariableLikeTheOtherSecrets() throws IOException {
        Path secret = Files.writeString(dir.resolve("dsn"), DSN + "\n");
        PipelineFile pipeline = PipelineFile.load(SEED, Map.of("MYSQL_DSN_FILE", secret.toString(), "REDIS_URI", REDIS));

        assertThat(pipeline.settings()).containsEntry("cdc.dsn", DSN);
    }

    @Test
    void aMissingVariableIsNamedWithItsKeyAndLine() {
        refused(seed(), Map.of("REDIS_URI", REDIS)).hasMessage("pipeline file " + SEED
                + ": spec.source.config.dsn: ${MYSQL_DSN}: MYSQL_DSN is not set (export MYSQL_DSN, or MYSQL_DSN_FILE"
                + " naming a file that holds it) (line " + lineOf(seed(), "dsn: ${MYSQL_DSN}") + ")");
    }

    @Test
    void anUnknownKeyIsRefusedWithItsPathAndLine() {
        String file = seed().replace("stream: cache:invalidations", "streem: cache:invalidations");

        refused(file).hasMessageContaining("spec.sinks[0].config.streem: unknown key (line " + lineOf(file, "streem:")
                + ")").hasMessageContaining("spec.sinks[0].config.stream: missing");
    }

    @Test
    void unknownKeysAnywhereAreRefusedAllAtOnce() {
        String file = seed().replace("  tenant: acme", "  tenant: acme\n  owner: ops")
                .replace("        mem_mb: 128", "        mem_mb: 128\n        cpu_ms: 50")
                .replace("    max_ms: 100", "    max_ms: 100\n    max_inflight: 2")
                .replace("  commit_policy:", "  journal:\n    enabled: true\n  commit_policy:");

        refused(file).hasMessageStartingWith("pipeline file " + SEED + ": 4 problems")
                .hasMessageContaining("metadata.owner: unknown key (line " + lineOf(file, "owner:") + ")")
                .hasMessageContaining("spec.processors[0].limits.cpu_ms: not supported")
                .hasMessageContaining("spec.batch.max_inflight: not supported")
                .hasMessageContaining("spec.journal: not supported");
    }

    @Test
    void anotherEnvelopeIsRefused() {
        String debezium = seed().replace("type: native", "type: debezium");
        refused(debezium).hasMessageContaining("spec.sinks[0].config.envelope.type: 'debezium' is not supported: native"
                + " only (the workers read native events) (line " + lineOf(debezium, "type: debezium") + ")");

        String cloudEvents = seed().replace("type: native", "type: cloudevents\n          type_prefix: com.acme.cdc");
        refused(cloudEvents).hasMessageContaining("envelope.type: 'cloudevents' is not supported")
                .hasMessageNotContaining("type_prefix");
    }

    @Test
    void aKafkaSinkIsRefused() {
        String file = seed().replace("    - type: redis", "    - type: kafka");

        refused(file).hasMessage("pipeline file " + SEED + ": spec.sinks[0].type: a kafka sink is not supported: the"
                + " workers read a Redis stream (type: redis) (line " + lineOf(file, "type: kafka") + ")");
    }

    @Test
    void whatTheStreamCannotHonourIsRefused() {
        refused(seed().replace("respect_source_tx: true", "respect_source_tx: false"))
                .hasMessageContaining("spec.batch.respect_source_tx: false is not supported");
        refused(seed().replace("mode: required", "mode: quorum\n    quorum: 2"))
                .hasMessageContaining("spec.commit_policy.mode: 'quorum' is not supported");
        refused(seed().replace("required: true", "required: false"))
                .hasMessageContaining("spec.sinks[0].config.required: false is not supported");
        refused(seed().replace("encoding: json", "encoding: avro"))
                .hasMessageContaining("spec.sinks[0].config.encoding: 'avro' is not supported");
        refused(seed().replace("    - type: redis", "    - type: redis\n      config:\n        id: x\n"
                + "        uri: redis://localhost\n        stream: other\n    - type: redis"))
                .hasMessageContaining("spec.sinks[1]: a second sink is not supported");
        refused(seed().replace("stream: cache:invalidations", "stream: \"cdc.${source.table}\""))
                .hasMessageContaining("spec.sinks[0].config.stream: ${source.table}: templates are not supported");
        // with the one, required, sink "all" waits for what "required" waits for
        assertThat(PipelineFile.parse("f", seed().replace("mode: required", "mode: all"), ENV).settings())
                .containsKey("stream.key");
    }

    @Test
    void aFilterProcessorBecomesTheFilterSettings() throws IOException {
        String file = seed().replace("    - type: javascript", """
                - type: filter
                  id: only-live-rows
                  ops: [create, update, delete]
                  tables:
                    include: ["app.*"]
                    exclude: ["*.tmp"]
                  fields:
                    - path: status
                      op: in
                      value: [active, 2]
                    - path: deleted
                      op: not_exists
                  match: any
                - type: javascript""".indent(4).stripTrailing());
        Map<String, String> settings = PipelineFile.parse("f", file, ENV).settings();
        assertThat(settings).containsEntry("filter.ops", "create,update,delete")
                .containsEntry("filter.tablesInclude", "app.*").containsEntry("filter.tablesExclude", "*.tmp")
                .containsEntry("filter.fields", "[{\"path\":\"status\",\"op\":\"in\",\"value\":[\"active\",2]},"
                        + "{\"path\":\"deleted\",\"op\":\"not_exists\"}]")
                .containsEntry("filter.match", "any");
    }

    @Test
    void aWrongFilterIsRefusedWithItsPathAndLine() {
        String file = seed().replace("    - type: javascript", """
                - type: filter
                  ops: [create, upsert]
                  fields:
                    - path: status
                      op: like
                      value: a%
                    - path: total
                      op: in
                      value: 5
                  tabels:
                    include: [app.users]
                - type: javascript""".indent(4).stripTrailing());
        refused(file).hasMessageContaining("spec.processors[0].ops[1]: 'upsert' is not an operation")
                .hasMessageContaining("spec.processors[0].fields[0]: unknown op 'like' for status")
                .hasMessageContaining("spec.processors[0].fields[1]: op in for total needs an array value")
                .hasMessageContaining("spec.processors[0].tabels: unknown key (line " + lineOf(file, "tabels:") + ")");
    }

    @Test
    void sourcesAndProcessorsThisApplicationDoesNotRunAreRefused() {
        refused(seed().replace("    type: mysql", "    type: postgres"))
                .hasMessageContaining("spec.source.type: postgres is not supported");
        refused(seed().replace("        - app.orders", "        - app.order_%"))
                .hasMessageContaining("spec.source.config.tables[2]: table patterns are not supported");
        refused(seed().replace("  sinks:", "    - type: javascript\n      id: again\n      inline: |\n"
                + "        function processBatch(events) { return events; }\n  sinks:"))
                .hasMessageContaining("spec.processors[1]: a second javascript processor is not supported");
        refused(seed().replace("      id: app-mysql", "      id: app-mysql\n      snapshot:\n        mode: initial"))
                .hasMessageContaining("spec.source.config.snapshot.mode: 'initial' is not supported");
        assertThat(PipelineFile.parse("f", seed().replace("      id: app-mysql",
                "      id: app-mysql\n      snapshot:\n        mode: never"), ENV).settings())
                .containsEntry("cdc.snapshotMode", "no_data");
    }

    @Test
    void aMalformedAddressIsRefusedWithoutItsPassword() {
        refused(seed(), Map.of("MYSQL_DSN", "postgres://cdc:pw-Secret-42@db:5432/app", "REDIS_URI", REDIS))
                .hasMessageContaining("spec.source.config.dsn: MYSQL_DSN is malformed: the scheme must be mysql://")
                .hasMessageNotContaining("pw-Secret-42");
        refused(seed(), Map.of("MYSQL_DSN", DSN, "REDIS_URI", "http://:redis-Secret-7@cache:6379"))
                .hasMessageContaining("spec.sinks[0].config.uri")
                .hasMessageNotContaining("redis-Secret-7");
    }

    @Test
    void aFileThatIsNotAPipelineIsRefusedWithItsLine() {
        refused("apiVersion: deltaforge/v1\nkind: Pipeline\nmetadata:\n  name: a\n  name: b\nspec: [\n")
                .hasMessageContaining("not valid YAML").hasMessageContaining("(line 7)");
        refused("apiVersion: deltaforge/v1\nkind: Pipeline\nmetadata:\n  name: a\n  name: b\n")
                .hasMessageContaining("metadata.name: duplicate key (line 5)").hasMessageContaining("spec: missing");
        refused("apiVersion: deltaforge/v2\n").hasMessageContaining("apiVersion: 'deltaforge/v2' is not supported");
        refused("").hasMessageContaining("empty");
    }

    @Test
    void filesFromTheCommandLineOrOneFromTheEnvironment() {
        PipelineFile.Choice choice = PipelineFile.choose(new String[] { "--pipeline", "a.yaml", "-Dx=y" }, Map.of());
        assertThat(choice.file()).isEqualTo(Path.of("a.yaml"));
        assertThat(choice.rest()).containsExactly("-Dx=y");
        assertThat(PipelineFile.choose(new String[] { "--pipeline=b.yaml" }, Map.of()).file()).isEqualTo(Path.of("b.yaml"));
        assertThat(PipelineFile.choose(new String[0], Map.of("PIPELINE_FILE", "c.yaml")).file()).isEqualTo(Path.of("c.yaml"));
        assertThat(PipelineFile.choose(new String[] { "--pipeline", "c.yaml" }, Map.of("PIPELINE_FILE", "c.yaml"))
                .file()).isEqualTo(Path.of("c.yaml"));
        assertThat(PipelineFile.choose(new String[0], Map.of()).file()).isNull();

        assertThat(PipelineFile.choose(new String[] { "--pipeline", "a.yaml", "worker", "--pipeline=b.yaml" }, Map.of()))
                .satisfies(two -> assertThat(two.files()).containsExactly(Path.of("a.yaml"), Path.of("b.yaml")))
                .satisfies(two -> assertThat(two.rest()).containsExactly("worker"));

        assertThatThrownBy(() -> PipelineFile.choose(new String[] { "--pipeline", "a.yaml", "--pipeline", "./a.yaml" },
                Map.of())).isInstanceOf(ConfigurationException.class).hasMessageContaining("given twice");
        assertThatThrownBy(() -> PipelineFile.choose(new String[] { "--pipeline", "a.yaml" },
                Map.of("PIPELINE_FILE", "b.yaml"))).hasMessageContaining("name different pipeline files");
        assertThatThrownBy(() -> PipelineFile.choose(new String[] { "--pipeline" }, Map.of()))
                .hasMessageContaining("--pipeline needs a file");
    }

    private static String seed() {
        try {
            return Files.readString(SEED);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(String text) {
        return refused(text, ENV);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> refused(String text, Map<String, String> env) {
        return assertThatThrownBy(() -> PipelineFile.parse(SEED.toString(), text, env))
                .isInstanceOf(ConfigurationException.class);
    }

    /** The 1-based number of the first line holding the fragment. */
    private static int lineOf(String text, String fragment) {
        List<String> lines = Arrays.asList(text.split("\n", -1));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(fragment)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line holds " + fragment);
    }
}
