package dev.cacheinvalidation.js;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import dev.cacheinvalidation.config.ConfigurationException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.metrics.Meters;
import dev.cacheinvalidation.stream.RedisStreamConstants;
import io.micrometer.core.instrument.Counter;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to a batch whose script failed ({@link ScriptFailure} caught by the route).
 * <ul>
 * <li>{@code dead-letter} (default): the body becomes the batch's original events, one dead letter each, with
 * the error (message, script file and line), the stage and an id of the batch as extra fields; the route writes
 * them to the dead-letter stream and goes on ({@code redrive} runs them through the script again).</li>
 * <li>{@code fail}: the pipeline route is stopped with the error; nothing of the batch is acknowledged, so it is
 * read again once the script is fixed and the pipeline started.</li>
 * </ul>
 * The events dead-lettered are counted ({@code cache_invalidation_events_dead_lettered_total}).
 */
public class ScriptFailurePolicy implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptFailurePolicy.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private String policy;
    private String routeId;
    private CamelContext camelContext;
    private volatile Counter deadLettered;

    @Override
    public void process(Exchange exchange) throws Exception {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String error = failure == null ? "unknown script failure" : failure.getMessage();
        EventBatch batch = exchange.getProperty(EventBatch.PROPERTY, EventBatch.class);
        int size = batch == null ? 0 : batch.size();
        if ("fail".equals(policy)) {
            LOG.error("Stopping route {}: {} (script.onFailure=fail; {} events stay unacknowledged and are read again"
                    + " after a restart)", routeId, error, size);
            Thread stopper = new Thread(() -> {
                try {
                    camelContext.getRouteController().stopRoute(routeId);
                } catch (Exception e) {
                    LOG.error("Could not stop route {}", routeId, e);
                }
            }, "script-failure-stop");
            stopper.start();
            throw new IllegalStateException("script failed and script.onFailure=fail: " + error, failure);
        }
        List<String> letters = new ArrayList<>(size);
        if (batch != null) {
            for (ChangeEvent event : batch.events()) {
                letters.add(toJson(event));
            }
        }
        LOG.error("Dead-lettering a batch of {} events: {}", size, error);
        deadLetterCounter().increment(size);
        exchange.getMessage().setBody(letters);
        // the batch's id, on each of its letters: redrive runs the script over the batch as it was
        exchange.getMessage().setHeader(RedisStreamConstants.EXTRA_FIELDS, Map.of("error", error, "stage", "script",
                "batch", UUID.randomUUID().toString()));
    }

    private static String toJson(ChangeEvent event) throws JsonProcessingException {
        return JSON.writeValueAsString(event);
    }

    public void setPolicy(String policy) {
        String normalized = policy == null ? "" : policy.trim().toLowerCase(Locale.ROOT);
        if (!normalized.equals("dead-letter") && !normalized.equals("fail")) {
            throw new ConfigurationException("script.onFailure must be dead-letter or fail, was '" + policy + "'");
        }
        this.policy = normalized;
    }

    /** The binlog route, stopped on {@code script.onFailure=fail}. */
    public void setRouteId(String routeId) {
        this.routeId = routeId;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
        // the route to stop is named in the route file: a name that matches no route is a startup error
        try {
            camelContext.addStartupListener((context, alreadyStarted) -> {
                checkRouteExists();
                // at start, so that the count is there at 0 before the first dead letter
                deadLetterCounter();
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot check the route the script failure policy stops", e);
        }
    }

    private Counter deadLetterCounter() {
        if (deadLettered == null) {
            deadLettered = Meters.of(camelContext).counter("cache_invalidation_events_dead_lettered",
                    "Events of batches the script failed on, written to the dead-letter stream (stream.deadLetterKey)");
        }
        return deadLettered;
    }

    void checkRouteExists() {
        if (routeId == null || camelContext.getRoute(routeId) == null) {
            throw new IllegalStateException("the script failure policy stops the route '" + routeId
                    + "' on script.onFailure=fail, but there is no route with that id: give its routeId the"
                    + " binlog route's id");
        }
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }
}
