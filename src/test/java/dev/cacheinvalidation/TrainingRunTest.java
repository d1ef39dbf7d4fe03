package dev.cacheinvalidation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.js.ScriptRuntime;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import org.junit.jupiter.api.Test;

/**
 * The training run's workload is the real one in miniature: its synthetic batches are native events of the four
 * example tables that the example script turns into cache keys (so the training profiles the script's real paths),
 * and both DDL grammars parse its sample statements.
 */
class TrainingRunTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void syntheticBatchesAreEventsOfTheExampleTablesThatTheScriptGivesKeys() throws Exception {
        JsonNode batch = JSON.readTree(TrainingRun.syntheticBatch(3));
        assertThat(batch).hasSize(100);
        assertThat(batch.findValuesAsText("table")).containsOnly("app.users", "app.products", "app.orders",
                "app.inventory");
        assertThat(batch.findValuesAsText("op")).contains("c", "u", "d");

        try (ScriptRuntime script = new ScriptRuntime(Path.of("routes/cache-keys.js"), 10_000)) {
            List<String> out = script.processBatch(TrainingRun.syntheticBatch(3));
            assertThat(out).hasSize(100);
            for (String text : out) {
                JsonNode event = JSON.readTree(text);
                JsonNode row = event.get("after").isNull() ? event.get("before") : event.get("after");
                assertThat(row.get("_cache_keys")).as(text).isNotEmpty();
            }
        }
    }

    @Test
    void bothDdlGrammarsParseTheSampleStatements() {
        for (String flavor : List.of("mariadb", "mysql")) {
            Table items = DdlParserPreload.parse(flavor).forTable(new TableId("preload", null, "items"));
            assertThat(items).as(flavor).isNotNull();
            assertThat(items.columnWithName("note")).as(flavor + ": the ALTER TABLE applied").isNotNull();
            assertThat(items.primaryKeyColumnNames()).as(flavor).containsExactly("id");
        }
    }
}
