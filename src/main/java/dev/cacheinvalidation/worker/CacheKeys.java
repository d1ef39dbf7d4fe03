package dev.cacheinvalidation.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The keys one stream entry asks to delete, read as the seed's worker reads them: {@code after._cache_keys}, or
 * {@code before._cache_keys} when there is no after (deletes). Also keeps when the change was committed, to measure
 * how fresh the cache is: {@code source.ts_us} (microseconds, finer than milliseconds on MySQL 8 with GTIDs, whole
 * seconds on MariaDB), or {@code source.ts_ms} for an event without it.
 * <p>
 * The event is read in one pass with a streaming parser that skips everything else (the columns of the row), as
 * the worker reads tens of thousands of events a second.
 */
public record CacheKeys(String table, List<String> keys, Long committedMicros) {

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * @throws IllegalArgumentException when the entry is not an event with string keys; the message says why
     */
    public static CacheKeys fromEventJson(String json) {
        return fromEventJson(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    }

    /** The event as the stream holds it, UTF-8: parsed from the bytes, with no String of the whole event. */
    public static CacheKeys fromEventJson(byte[] json) {
        if (json == null) {
            throw new IllegalArgumentException("entry has no event field");
        }
        try (JsonParser parser = JSON.createParser(json)) {
            return read(parser);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("event is not JSON: " + e.getMessage());
        }
    }

    private static CacheKeys read(JsonParser parser) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("event is not a JSON object");
        }
        String table = "?";
        Long committedMicros = null;
        Side after = Side.ABSENT;
        Side before = Side.ABSENT;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
                case "after" -> after = side(parser, value);
                case "before" -> before = side(parser, value);
                case "table" -> table = value == JsonToken.VALUE_STRING ? parser.getText() : table;
                case "source" -> committedMicros = commitTime(parser, value);
                default -> parser.skipChildren();
            }
        }
        Side chosen = after != Side.ABSENT ? after : before;
        if (chosen == Side.NOT_AN_OBJECT) {
            throw new IllegalArgumentException("event after/before is not an object");
        }
        return new CacheKeys(table, chosen.keys == null ? List.of() : chosen.keys, committedMicros);
    }

    /**
     * What after or before held: {@link #ABSENT} (missing or null), {@link #NOT_AN_OBJECT}, or an object and its
     * _cache_keys (null when it has none). The two markers are told apart by identity.
     */
    private static final class Side {
        static final Side ABSENT = new Side(null);
        static final Side NOT_AN_OBJECT = new Side(null);

        final List<String> keys;

        Side(List<String> keys) {
            this.keys = keys;
        }
    }

    private static Side side(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return Side.ABSENT;
        }
        if (value != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return Side.NOT_AN_OBJECT;
        }
        List<String> keys = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            boolean isKeys = "_cache_keys".equals(parser.currentName());
            JsonToken token = parser.nextToken();
            if (isKeys && token != JsonToken.VALUE_NULL) {
                keys = keys(parser, token);
            } else {
                parser.skipChildren();
            }
        }
        return new Side(keys);
    }

    private static List<String> keys(JsonParser parser, JsonToken token) throws IOException {
        if (token != JsonToken.START_ARRAY) {
            throw new IllegalArgumentException("_cache_keys is not an array");
        }
        List<String> keys = new ArrayList<>();
        for (JsonToken key = parser.nextToken(); key != JsonToken.END_ARRAY; key = parser.nextToken()) {
            if (key != JsonToken.VALUE_STRING || parser.getTextLength() == 0) {
                throw new IllegalArgumentException("_cache_keys holds a value that is not a non-empty string: "
                        + shown(parser, key));
            }
            keys.add(parser.getText());
        }
        return keys;
    }

    /** The offending value as the message shows it: {@code ""}, {@code 2}, {@code null}, {@code {...}}. */
    private static String shown(JsonParser parser, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_STRING) {
            return "\"\"";
        }
        return token.isStructStart() ? token.asString() + "..." : parser.getText();
    }

    /** The source block's commit time in microseconds: ts_us, else ts_ms (whichever comes first in the block). */
    private static Long commitTime(JsonParser parser, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return null;
        }
        Long tsMs = null;
        Long tsUs = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken token = parser.nextToken();
            if (token.isNumeric() && "ts_us".equals(name)) {
                tsUs = parser.getLongValue();
            } else if (token.isNumeric() && "ts_ms".equals(name)) {
                tsMs = parser.getLongValue();
            } else {
                parser.skipChildren();
            }
        }
        return tsUs != null ? tsUs : tsMs != null ? tsMs * 1000 : null;
    }

    /** A key with {@code *} is a pattern: every key matching it goes. */
    public static boolean isPattern(String key) {
        return key.indexOf('*') >= 0;
    }
}
