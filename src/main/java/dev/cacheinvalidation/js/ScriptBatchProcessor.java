package dev.cacheinvalidation.js;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.batching.EventBatch;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The JavaScript step: an {@link EventBatch} in, the stream entries (one event JSON each, as returned by the
 * user's processBatch) out. The script is loaded and checked when the route starts.
 */
public class ScriptBatchProcessor extends ServiceSupport implements Processor {

    private static final ObjectMapper JSON = new ObjectMapper();

    private String script = "routes/cache-keys.js";
    private long timeoutMs = 500;
    private ScriptRuntime runtime;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong eventsIn = new AtomicLong();
    private final AtomicLong eventsOut = new AtomicLong();

    @Override
    protected void doStart() {
        runtime = new ScriptRuntime(Path.of(script), timeoutMs);
    }

    @Override
    protected void doStop() {
        if (runtime != null) {
            runtime.close();
            runtime = null;
        }
    }

    @Override
    public void process(Exchange exchange) throws JsonProcessingException {
        EventBatch batch = exchange.getMessage().getBody(EventBatch.class);
        List<String> entries = batch == null || batch.isEmpty()
                ? List.of()
                : runtime.processBatch(JSON.writeValueAsString(batch.events()));
        exchange.getMessage().setBody(entries);
        if (batch != null && !batch.isEmpty()) {
            batches.incrementAndGet();
            eventsIn.addAndGet(batch.size());
            eventsOut.addAndGet(entries.size());
        }
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
        this.timeoutMs = timeoutMs;
    }
}
