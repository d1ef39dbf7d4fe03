package dev.cacheinvalidation.js;

import java.nio.file.Path;
import java.util.List;

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
