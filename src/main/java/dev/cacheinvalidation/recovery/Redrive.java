package dev.cacheinvalidation.recovery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.NoDatabase;
import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.main.Main;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.StreamEntry;

/**
 * {@code java -jar cache-invalidation.jar redrive}: the dead letters back into the stream, once their cause is fixed.
 * <ul>
 * <li>A batch the key script failed on (its events, one letter each, with the batch's id): run through the script as
 * configured now, by the pipeline's own writer route (script, then stream; a failing script dead-letters the batch
 * again, with the new error), and its old letters removed once that is done. Batches go in their original order.</li>
 * <li>An entry the worker could not handle (the original fields, the error and the original id and stream):
 * written back to its stream as it was, and removed.</li>
 * </ul>
 * A crash in between writes a batch twice, which only repeats deletes; a letter is never removed before what
 * replaces it is written. Needs the stream's Redis, not the database.
 */
public final class Redrive {

    private static final Logger LOG = LoggerFactory.getLogger(Redrive.class);
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES,
            false);
    /** The pipeline's writer route (routes/cdc-to-stream.camel.yaml): the script and the stream write. */
    public static final String WRITER_ROUTE = "cdc-to-stream-writer";
    private static final int PAGE = 1000;

    /** What a redrive did. */
    public record Outcome(int batches, int events, int failedAgain, int requeued) {

        public String summary(String deadLetterStream) {
            return "Redrive of " + deadLetterStream + ": " + batches + " dead-lettered batch(es) of " + events
                    + " event(s) written to the stream through the current script, " + failedAgain
                    + " failed again (dead-lettered anew, with the new error), " + requeued
                    + " entr(y/ies) of the worker's put back on their stream";
        }
    }

    private final CamelContext camelContext;

    public Redrive(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    /**
     * Configures Main for the command: the pipeline's routes built and none started, no database, no HTTP port; once
     * Camel is up the redrive runs, prints its summary, and the process ends (exit 0, or 1 when a batch failed
     * again or the redrive could not finish).
     */
    public static void prepare(Main main) {
        NoDatabase.install(main);
        main.addOverrideProperty("camel.main.autoStartup", "false");
        main.addOverrideProperty("camel.management.enabled", "false");
        OneOffCommand.runAfterStart(main, context -> {
            try {
                Outcome outcome = new Redrive(context).run();
                LOG.info(outcome.summary(context.getPropertiesComponent().resolveProperty("stream.deadLetterKey")
                        .orElse("")));
                return outcome.failedAgain() == 0 ? 0 : 1;
            } catch (Exception e) {
                LOG.error("Redrive stopped: {}", e.getMessage());
                return 1;
            }
        });
    }

    public Outcome run() throws Exception {
        String deadLetters = property("stream.deadLetterKey");
        RedisAddress address = RedisAddress.parse(property("redis.uri"));
        Route writer = camelContext.getRoute(WRITER_ROUTE);
        if (writer == null) {
            throw new ConfigurationException("redrive needs the pipeline's writer route '" + WRITER_ROUTE + "' (routes/"
                    + "cdc-to-stream.camel.yaml)");
        }
        camelContext.getRouteController().startRoute(WRITER_ROUTE);
        Endpoint writerInput = writer.getEndpoint();
        int batches = 0;
        int events = 0;
        int failedAgain = 0;
        int requeued = 0;
        try (TopologyAwareRedis redis = TopologyAwareRedis.at(address, "cache-invalidation:redrive", 10_000, 4);
                ProducerTemplate template = camelContext.createProducerTemplate()) {
            UnifiedJedis jedis = redis.commands();
            // the letters there now: what the pipeline dead-letters meanwhile (a batch failing again) waits for the next run
            List<StreamEntry> letters = readAll(jedis, deadLetters);
            LOG.info("Redrive: {} dead letter(s) in {}", letters.size(), deadLetters);
            for (List<StreamEntry> group : groups(letters)) {
                StreamEntry first = group.get(0);
                if (first.getFields().containsKey("original_id")) {
                    String stream = first.getFields().get("original_stream");
                    Map<String, String> fields = new LinkedHashMap<>(first.getFields());
                    fields.remove("error");
                    fields.remove("original_id");
                    fields.remove("original_stream");
                    jedis.xadd(stream, StreamEntryID.NEW_ENTRY, fields);
                    jedis.xdel(deadLetters, first.getID());
                    requeued++;
                    continue;
                }
                List<ChangeEvent> batch = new ArrayList<>(group.size());
                for (StreamEntry letter : group) {
                    batch.add(event(letter));
                }
                Exchange exchange = new DefaultExchange(camelContext, ExchangePattern.InOut);
                EventBatch redriven = EventBatch.of(batch);
                exchange.getMessage().setBody(redriven);
                exchange.setProperty(EventBatch.PROPERTY, redriven);
                Exchange done = template.send(writerInput, exchange);
                if (done.getException() != null) {
                    // not written, not dead-lettered: the letters stay for the next run
                    throw new IllegalStateException("writing a redriven batch failed (" + done.getException().getMessage()
                            + "); its dead letters stay", done.getException());
                }
                if (done.getProperty(Exchange.EXCEPTION_CAUGHT) != null) {
                    failedAgain++;
                    LOG.error("Redrive: the batch of {} event(s) failed again and is dead-lettered anew: {}", group.size(),
                            done.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class).getMessage());
                } else {
                    batches++;
                    events += group.size();
                }
                jedis.xdel(deadLetters, group.stream().map(StreamEntry::getID).toArray(StreamEntryID[]::new));
            }
        } finally {
            camelContext.getRouteController().stopRoute(WRITER_ROUTE);
        }
        return new Outcome(batches, events, failedAgain, requeued);
    }

    private static ChangeEvent event(StreamEntry letter) {
        String json = letter.getFields().get("event");
        if (json == null) {
            throw new IllegalStateException("dead letter " + letter.getID() + " has no event field: not one of ours");
        }
        try {
            return JSON.readValue(json, ChangeEvent.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("dead letter " + letter.getID() + " holds no readable event: "
                    + e.getOriginalMessage());
        }
    }

    /**
     * The letters by batch, in order: the pipeline's letters of one batch share its id (letters written before
     * batches had ids: consecutive ones with one error), each of the worker's stands alone.
     */
    static List<List<StreamEntry>> groups(List<StreamEntry> letters) {
        List<List<StreamEntry>> groups = new ArrayList<>();
        String current = null;
        for (StreamEntry letter : letters) {
            Map<String, String> fields = letter.getFields();
            String key = fields.containsKey("original_id") ? null
                    : fields.containsKey("batch") ? "batch " + fields.get("batch") : "error " + fields.get("error");
            if (key == null || !key.equals(current)) {
                groups.add(new ArrayList<>());
            }
            groups.get(groups.size() - 1).add(letter);
            current = key;
        }
        return groups;
    }

    private static List<StreamEntry> readAll(UnifiedJedis jedis, String stream) {
        List<StreamEntry> all = new ArrayList<>();
        StreamEntryID from = StreamEntryID.MINIMUM_ID;
        while (true) {
            List<StreamEntry> page = jedis.xrange(stream, from, StreamEntryID.MAXIMUM_ID, PAGE);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            if (page.size() < PAGE) {
                return all;
            }
            StreamEntryID last = page.get(page.size() - 1).getID();
            from = new StreamEntryID(last.getTime(), last.getSequence() + 1);
        }
    }

    private String property(String key) {
        return camelContext.getPropertiesComponent().resolveProperty(key)
                .orElseThrow(() -> new ConfigurationException(key + " is not set"));
    }
}
