package dev.cacheinvalidation.js;

import java.nio.file.Path;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the script over synthetic batches ({@link SyntheticBatches}) on a context of its own while the pipeline
 * starts, so that the JIT compiles the GraalJS interpreter's hot paths before the first real batch: on a cold JVM
 * the first tens of thousands of events cost the script about four times what they cost once it is compiled.
 * <p>
 * It stops at the first real batch (from then on it would only take CPU from the pipeline), after its batches, or
 * when the step stops. What the script prints for the synthetic events is dropped; a script that fails on them
 * (other tables, other columns) only ends the warm-up.
 */
final class ScriptWarmUp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptWarmUp.class);
    /** Distinct synthetic batches, cycled: building them costs more than the script does. */
    private static final int DISTINCT_BATCHES = 8;
    private static final long TIMEOUT_MS = 10_000;

    private final Thread thread;
    private volatile boolean stopped;
    private volatile int batchesRun;

    ScriptWarmUp(JavaScriptEngine engine, List<Path> scriptFiles, int batches) {
        thread = new Thread(() -> run(engine, scriptFiles, batches), "script-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(JavaScriptEngine engine, List<Path> scriptFiles, int batches) {
        long started = System.nanoTime();
        try (ScriptRuntime runtime = ScriptRuntime.quiet(engine, scriptFiles, TIMEOUT_MS)) {
            String[] texts = new String[Math.min(batches, DISTINCT_BATCHES)];
            for (int i = 0; i < batches && !stopped; i++) {
                int slot = i % DISTINCT_BATCHES;
                if (texts[slot] == null) {
                    texts[slot] = SyntheticBatches.batch(slot);
                }
                runtime.processBatch(texts[slot]);
                batchesRun = i + 1;
            }
        } catch (RuntimeException e) {
            LOG.debug("The script's warm-up ended early: {}", e.getMessage());
        }
        LOG.debug("Warmed the script up with {} synthetic batches in {} ms", batchesRun,
                (System.nanoTime() - started) / 1_000_000);
    }

    /** The first real batch is there: no more synthetic ones. */
    void stop() {
        stopped = true;
    }

    /** Synthetic batches run so far. */
    int batchesRun() {
        return batchesRun;
    }

    /** Stops and waits for the batch under way (milliseconds): the engine may be closed after this. */
    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
