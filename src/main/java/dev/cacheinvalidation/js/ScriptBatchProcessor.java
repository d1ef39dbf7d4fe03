package dev.cacheinvalidation.js;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.metrics.Meters;
import dev.cacheinvalidation.retry.Backoff;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.seda.SedaEndpoint;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JavaScript step: an {@link EventBatch} in, the stream entries (one event JSON each, as returned by the
 * user's processBatch) out. The script files are loaded and checked when the route starts; a changed file is
 * loaded again between two batches (a broken new version is refused and the running one kept).
 * <p>
 * It owns the GraalJS engine, built on a second core as soon as the bean exists and closed when it stops, and one
 * context on it for each thread that calls it at once ({@link ScriptPool}): the writer route's consumers, as many
 * as {@code script.contexts}. With more than one, batches are evaluated at once, and each then waits for its turn
 * ({@link BatchTurnstile}), so that what follows the script (the stream write, or the dead letter) happens strictly
 * in the order the batches were completed; with one, the queue's order is that order.
 */
public class ScriptBatchProcessor extends ServiceSupport implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptBatchProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    // the settings (script.*, batch.maxEvents)
    private String script;
    private long timeoutMs;
    private long memMb;
    private int retries;
    private int batchEvents;
    private long reloadCheckMs;

    private CamelContext camelContext;
    private Timer scriptTime;
    private DistributionSummary batchSizes;
    private CompletableFuture<JavaScriptEngine> engineBuild;
    private JavaScriptEngine engine;
    private volatile ScriptPool pool;
    private BatchTurnstile turnstile;
    private List<FileTime> loadedVersions;
    private long nextReloadCheck;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong eventsIn = new AtomicLong();
    private final AtomicLong eventsOut = new AtomicLong();

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
        buildEngine();
    }

    /** The engine takes most of a second to build: on a second core, while Camel builds and starts the routes. */
    private synchronized void buildEngine() {
        if (engineBuild == null) {
            engineBuild = CompletableFuture.supplyAsync(() -> new JavaScriptEngine().warmedUp(), runnable -> {
                Thread thread = new Thread(runnable, "script-engine-build");
                thread.setDaemon(true);
                thread.start();
            });
        }
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    protected void doStart() {
        checkWriterThreads();
        Meters meters = Meters.of(camelContext);
        scriptTime = meters.timer("cache_invalidation_script", "processBatch time per batch");
        batchSizes = meters.summary("cache_invalidation_batch_events", "Events per batch");
        meters.counting("cache_invalidation_events_in", "Row changes handed to the script", eventsIn, AtomicLong::get);
        meters.counting("cache_invalidation_events_written", "Events the script returned for the stream", eventsOut,
                AtomicLong::get);
        buildEngine();
        engine = engineBuild.join();
        loadedVersions = versions();
        pool = new ScriptPool(engine, scriptFiles(), timeoutMs, memMb);
        if (turnstile == null) {
            // kept across restarts of the step: the serials go on
            turnstile = new BatchTurnstile(camelContext);
        }
        LOG.info("Loaded {} (timeout {} ms, memory {} MB per call)", script, timeoutMs, memMb);
    }

    /**
     * The script runs on the consumer threads of the writer's queue, as many as {@code script.contexts}: a queue
     * with none would leave every batch unwritten without a word.
     */
    private void checkWriterThreads() {
        for (Endpoint endpoint : camelContext.getEndpoints()) {
            if (endpoint instanceof SedaEndpoint queue && queue.getConcurrentConsumers() < 1) {
                throw new ConfigurationException("script.contexts must be at least 1, was "
                        + queue.getConcurrentConsumers());
            }
        }
    }

    @Override
    protected void doStop() {
        if (pool != null) {
            pool.retire();
            pool = null;
        }
        if (engine != null) {
            engine.close();
            engine = null;
            engineBuild = null;
        }
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        EventBatch batch = exchange.getMessage().getBody(EventBatch.class);
        try {
            evaluate(exchange, batch);
        } finally {
            if (calledOnSeveralThreads(exchange)) {
                // whatever the script did: the write (or the dead letter) after it waits for the batches before
                turnstile.awaitTurn(exchange, batch == null ? -1 : batch.serial());
            }
        }
    }

    /**
     * Whether the writer's queue has more than one consumer thread: then batches are evaluated at once and take
     * turns for what follows; with one, the queue's order is already the order of the writes.
     */
    private static boolean calledOnSeveralThreads(Exchange exchange) {
        return exchange.getFromEndpoint() instanceof SedaEndpoint queue && queue.getConcurrentConsumers() > 1;
    }

    private void evaluate(Exchange exchange, EventBatch batch) throws JsonProcessingException {
        if (batch == null || batch.isEmpty()) {
            exchange.getMessage().setBody(List.of());
            return;
        }
        reloadIfChanged();
        String events = JSON.writeValueAsString(batch.events());
        long start = System.nanoTime();
        // the limits are for a batch of batchEvents; a slice of a large transaction gets as many times more
        int scale = (batch.size() + batchEvents - 1) / batchEvents;
        ScriptPool running = pool;
        ScriptRuntime runtime = running.take();
        List<String> entries;
        try {
            entries = callWithRetries(runtime, events, scale);
        } finally {
            running.giveBack(runtime);
        }
        scriptTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        batchSizes.record(batch.size());
        exchange.getMessage().setBody(entries);
        batches.incrementAndGet();
        eventsIn.addAndGet(batch.size());
        eventsOut.addAndGet(entries.size());
    }

    /**
     * A call that fails is tried again, {@code retries} times, after a short pause: a timeout on a machine that is
     * briefly starved is not a reason to dead-letter a batch, while a script that really fails fails again quickly.
     */
    private List<String> callWithRetries(ScriptRuntime runtime, String events, int scale) {
        // 50 ms, doubling up to half a second: time for a starved machine, little for a script that fails again
        Backoff backoff = new Backoff(50, 500);
        for (int attempt = 0;; attempt++) {
            try {
                return runtime.processBatch(events, scale);
            } catch (ScriptFailure e) {
                if (attempt >= retries) {
                    throw e;
                }
                LOG.warn("Trying the batch again ({} of {}): {}", attempt + 1, retries, e.getMessage());
                if (!backoff.pause()) {
                    throw e;
                }
            }
        }
    }

    // synchronized: with several writer threads, one thread looks for a change and loads it; the others go on meanwhile
    private synchronized void reloadIfChanged() {
        if (reloadCheckMs <= 0 || System.currentTimeMillis() < nextReloadCheck) {
            return;
        }
        nextReloadCheck = System.currentTimeMillis() + reloadCheckMs;
        List<FileTime> current = versions();
        if (current.contains(null) || current.equals(loadedVersions)) {
            return;
        }
        loadedVersions = current;
        try {
            ScriptPool reloaded = new ScriptPool(engine, scriptFiles(), timeoutMs, memMb);
            ScriptPool replaced = pool;
            pool = reloaded;
            replaced.retire();
            LOG.info("Reloaded {}: batches from now on use the new version", script);
        } catch (ConfigurationException e) {
            LOG.error("Keeping the running version of {}: the changed file does not load ({})", script, e.getMessage());
        }
    }

    /** script.file: one file or several, comma separated, evaluated in this order into each context. */
    List<Path> scriptFiles() {
        return ScriptRuntime.files(script);
    }

    private List<FileTime> versions() {
        List<FileTime> versions = new ArrayList<>();
        for (Path file : scriptFiles()) {
            try {
                versions.add(Files.getLastModifiedTime(file));
            } catch (IOException e) {
                versions.add(null);
            }
        }
        return versions;
    }

    /** Non-empty batches run through the script so far. */
    public long getBatches() {
        return batches.get();
    }

    /** Events handed to the script so far. */
    public long getEventsIn() {
        return eventsIn.get();
    }

    /** Events the script returned (and so were written) so far. */
    public long getEventsOut() {
        return eventsOut.get();
    }

    public String getScript() {
        return script;
    }

    public void setScript(String script) {
        this.script = script;
    }

    public long getTimeoutMs() {
        return timeoutMs;
    }

    public void setTimeoutMs(long timeoutMs) {
        if (timeoutMs < 1) {
            throw new ConfigurationException("script.timeoutMs must be at least 1, was " + timeoutMs);
        }
        this.timeoutMs = timeoutMs;
    }

    /** Most a call may allocate, in MB ({@code script.memMb}; 0: no limit). */
    public long getMemMb() {
        return memMb;
    }

    public void setMemMb(long memMb) {
        if (memMb < 0) {
            throw new ConfigurationException("script.memMb must be at least 0, was " + memMb);
        }
        this.memMb = memMb;
    }

    public int getRetries() {
        return retries;
    }

    public void setRetries(int retries) {
        if (retries < 0) {
            throw new ConfigurationException("script.retries must be at least 0, was " + retries);
        }
        this.retries = retries;
    }

    /** The batch size (batch.maxEvents) timeoutMs and memMb are meant for; a larger batch gets more. */
    public int getBatchEvents() {
        return batchEvents;
    }

    public void setBatchEvents(int batchEvents) {
        if (batchEvents < 1) {
            throw new ConfigurationException("batch.maxEvents must be at least 1, was " + batchEvents);
        }
        this.batchEvents = batchEvents;
    }

    public long getReloadCheckMs() {
        return reloadCheckMs;
    }

    public void setReloadCheckMs(long reloadCheckMs) {
        this.reloadCheckMs = reloadCheckMs;
    }
}
