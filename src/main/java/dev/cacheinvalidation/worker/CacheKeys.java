package dev.cacheinvalidation.worker;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The keys one stream entry asks to delete, read as the seed's worker reads them: {@code after._cache_keys}, or
 * {@code before._cache_keys} when there is no after (deletes). Also keeps the event's source timestamp (when
 * the change was written to the binlog, in whole seconds on most servers) to measure end-to-end latency.
 */
public record CacheKeys(String table, List<String> keys, Long sourceTsMs) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @throws IllegalArgumentException when the entry is not an event with string keys; the message says why
     */
    public static CacheKeys fromEventJson(String json) {
        if (json == null) {
            throw new IllegalArgumentException("entry has no event field");
        }
        JsonNode event;
        try {
            event = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event is not JSON: " + e.getOriginalMessage());
        }
        if (event == null || !event.isObject()) {
            throw new IllegalArgumentException("event is not a JSON object");
        }
        JsonNode record = present(event.get("after")) ? event.get("after") : event.get("before");
        String table = event.path("table").asText("?");
        JsonNode ts = event.path("source").path("ts_ms");
        Long sourceTsMs = ts.isNumber() ? ts.asLong() : null;
        if (!present(record)) {
            return new CacheKeys(table, List.of(), sourceTsMs);
        }
        if (!record.isObject()) {
            throw new IllegalArgumentException("event after/before is not an object");
        }
        JsonNode keys = record.get("_cache_keys");
        if (!present(keys)) {
            return new CacheKeys(table, List.of(), sourceTsMs);
        }
        if (!keys.isArray()) {
            throw new IllegalArgumentException("_cache_keys is not an array");
        }
        List<String> list = new ArrayList<>(keys.size());
        for (JsonNode key : keys) {
            if (!key.isTextual() || key.asText().isEmpty()) {
                throw new IllegalArgumentException("_cache_keys holds a value that is not a non-empty string: " + key);
            }
            list.add(key.asText());
        }
        return new CacheKeys(table, list, sourceTsMs);
    }

    private static boolean present(JsonNode node) {
        return node != null && !node.isNull() && !node.isMissingNode();
    }

    /** A key with {@code *} is a pattern: every key matching it goes. */
    public static boolean isPattern(String key) {
        return key.indexOf('*') >= 0;
    }
}
