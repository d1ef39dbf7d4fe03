package dev.cacheinvalidation.js;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScriptWarmUpTest {

    private static JavaScriptEngine engine;

    @TempDir
    Path dir;

    @BeforeAll
    static void engine() {
        engine = new JavaScriptEngine();
    }

    @AfterAll
    static void closeEngine() {
        engine.close();
    }

    @Test
    void runsTheScriptOverItsBatchesThenEnds() throws Exception {
        ScriptWarmUp warmUp = new ScriptWarmUp(engine, List.of(Path.of("routes/cache-keys.js"),
                Path.of("routes/table-keys.js")), 12);
        awaitBatches(warmUp, 12);
        warmUp.close();
        assertThat(warmUp.batchesRun()).isEqualTo(12);
    }

    @Test
    void theFirstRealBatchStopsIt() throws Exception {
        ScriptWarmUp warmUp = new ScriptWarmUp(engine, List.of(Path.of("routes/cache-keys.js")), 1_000_000);
        awaitBatches(warmUp, 1);
        warmUp.stop();
        warmUp.close();
        int run = warmUp.batchesRun();
        Thread.sleep(100);
        assertThat(warmUp.batchesRun()).isEqualTo(run).isLessThan(1_000_000);
    }

    @Test
    void aScriptThatFailsOnSyntheticEventsOnlyEndsTheWarmUp() throws Exception {
        Path script = Files.writeString(dir.resolve("strict.js"), """
                function processBatch(events) {
                  console.log('synthetic event seen: ' + events.length);
                  if (events[0].table !== 'shop.customers') throw new Error('unknown table ' + events[0].table);
                  return events;
                }
                """);
        ScriptWarmUp warmUp = new ScriptWarmUp(engine, List.of(script), 50);
        warmUp.close();
        assertThat(warmUp.batchesRun()).isZero();
    }

    private static void awaitBatches(ScriptWarmUp warmUp, int batches) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (warmUp.batchesRun() < batches && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
    }
}
