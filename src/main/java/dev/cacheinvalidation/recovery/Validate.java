package dev.cacheinvalidation.recovery;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.js.ScriptFailure;
import dev.cacheinvalidation.js.ScriptRuntime;
import org.apache.camel.main.Main;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar cache-invalidation.jar validate [--events FILE]}: the key script tried without servers. The
 * settings are read as a start reads them ({@code application.properties}, the environment) and the script files
 * loaded as the pipeline loads them, with its limits; {@code processBatch} then runs over the events of the file (a
 * JSON array of native events, as the stream carries them) or, without one, over one sample event per captured
 * table and operation (with an {@code id} column only), and each event's table, operation and keys are printed.
 * Exit 0; a script that does not load or fails: exit 1, with its file and line. No database or Redis is contacted.
 */
public final class Validate {

    private static final Logger LOG = LoggerFactory.getLogger(Validate.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Validate() {
    }

    /** Configures Main for the command (no routes, no server, no HTTP port) and returns the arguments left for it. */
    public static String[] prepare(Main main, String[] args, PrintStream out) {
        Path events = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if ("--events".equals(args[i])) {
                if (i + 1 >= args.length) {
                    throw new ConfigurationException("--events needs a file: a JSON array of events");
                }
                events = Path.of(args[++i]);
            } else {
                rest.add(args[i]);
            }
        }
        Path eventsFile = events;
        System.setProperty("camel.management.enabled", "false");
        OneOffCommand.runAfterStart(main, context -> {
            try {
                return run(context.getPropertiesComponent(), eventsFile, out);
            } catch (ScriptFailure | ConfigurationException | IOException e) {
                out.println("cache-invalidation: " + e.getMessage());
                return 1;
            }
        });
        return rest.toArray(String[]::new);
    }

    static int run(PropertiesComponent properties, Path eventsFile, PrintStream out) throws IOException {
        String scripts = properties.resolveProperty("script.file").orElse("routes/cache-keys.js");
        long timeoutMs = Long.parseLong(properties.resolveProperty("script.timeoutMs").orElse("500"));
        long memMb = Long.parseLong(properties.resolveProperty("script.memMb").orElse("128"));
        String events = eventsFile != null ? Files.readString(eventsFile)
                : samples(properties.resolveProperty("cdc.tables").orElse(""));
        JsonNode given = JSON.readTree(events);
        if (!given.isArray()) {
            throw new ConfigurationException(eventsFile + " holds no JSON array of events");
        }
        List<String> written;
        try (ScriptRuntime script = new ScriptRuntime(null, ScriptRuntime.files(scripts), timeoutMs, memMb)) {
            written = script.processBatch(events);
        }
        out.printf("%s: %d event(s) in, %d out%s%n", scripts, given.size(), written.size(), eventsFile != null ? ""
                : " (sample rows of cdc.tables with an id column only: keys made of other columns show undefined;"
                        + " give your own with --events FILE)");
        for (String entry : written) {
            out.println(describe(JSON.readTree(entry)));
        }
        LOG.debug("validated {} against {} events", scripts, given.size());
        return 0;
    }

    /** One line: table, operation, keys (patterns marked as such). */
    static String describe(JsonNode event) {
        List<String> keys = new ArrayList<>();
        for (String side : List.of("before", "after")) {
            for (JsonNode key : event.path(side).path("_cache_keys")) {
                keys.add(key.asText());
            }
        }
        return String.format("%-24s %s  %s", event.path("table").asText("?"), event.path("op").asText("?"),
                keys.isEmpty() ? "(no keys)" : String.join(" ", keys));
    }

    /** One insert, update and delete per captured table, with an id column only, and a TRUNCATE. */
    static String samples(String tables) {
        ArrayNode events = JSON.createArrayNode();
        int id = 1;
        for (String table : tables.split(",")) {
            if (table.isBlank()) {
                continue;
            }
            for (String op : List.of("c", "u", "d", "t")) {
                ObjectNode event = events.addObject();
                event.put("op", op);
                event.put("table", table.trim());
                Map<String, Object> row = Map.of("id", id);
                event.set("before", "c".equals(op) || "t".equals(op) ? null : JSON.valueToTree(row));
                event.set("after", "d".equals(op) || "t".equals(op) ? null : JSON.valueToTree(row));
                event.putArray("tags");
            }
            id++;
        }
        return events.toString();
    }
}
