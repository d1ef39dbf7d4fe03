package dev.cacheinvalidation.stream;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One stream entry as the consumer hands it to the route: its id and its fields in stream order, kept as the bytes
 * Redis sent, so that a reader that parses a value (the worker's JSON events) needs no String of it.
 */
public final class StreamMessage {

    private static final byte[][] NO_FIELDS = new byte[0][];

    private final String id;
    /** Name, value, name, value... as in the entry. */
    private final byte[][] namesAndValues;

    /** {@code namesAndValues}: each field's name then its value, in stream order; empty for an entry trimmed away. */
    public StreamMessage(String id, byte[][] namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("entry " + id + " has a field without a value");
        }
        this.id = id;
        this.namesAndValues = namesAndValues;
    }

    public static StreamMessage of(String id, Map<String, String> fields) {
        byte[][] namesAndValues = new byte[fields.size() * 2][];
        int i = 0;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            namesAndValues[i++] = field.getKey().getBytes(StandardCharsets.UTF_8);
            namesAndValues[i++] = field.getValue().getBytes(StandardCharsets.UTF_8);
        }
        return new StreamMessage(id, namesAndValues);
    }

    /** A pending entry that was trimmed from the stream: Redis still lists its id, without fields. */
    public static StreamMessage trimmed(String id) {
        return new StreamMessage(id, NO_FIELDS);
    }

    public String id() {
        return id;
    }

    /** False for an entry trimmed from the stream (nothing left to process). */
    public boolean hasFields() {
        return namesAndValues.length > 0;
    }

    /** The fields decoded, in stream order. */
    public Map<String, String> fields() {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            fields.put(text(namesAndValues[i]), text(namesAndValues[i + 1]));
        }
        return Collections.unmodifiableMap(fields);
    }

    /** The bytes of the named field, or of the first field when the entry has no such field; null without fields. */
    public byte[] bytes(String field) {
        return bytes(field.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #bytes(String)} with the name already in UTF-8, for a reader that asks for every entry. */
    public byte[] bytes(byte[] name) {
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (Arrays.equals(namesAndValues[i], name)) {
                return namesAndValues[i + 1];
            }
        }
        return namesAndValues.length > 0 ? namesAndValues[1] : null;
    }

    /** {@link #bytes} as text. */
    public String value(String field) {
        byte[] value = bytes(field);
        return value == null ? null : text(value);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "StreamMessage[" + id + ", " + namesAndValues.length / 2 + " fields]";
    }
}
