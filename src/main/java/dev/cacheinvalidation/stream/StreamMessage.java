package dev.cacheinvalidation.stream;

import java.util.Map;

/** One stream entry as the consumer hands it to the route: its id and its fields in stream order. */
public record StreamMessage(String id, Map<String, String> fields) {

    /** The value of the named field, or of the first field when the entry has no such field. */
    public String value(String field) {
        String value = fields.get(field);
        if (value == null && !fields.isEmpty()) {
            value = fields.values().iterator().next();
        }
        return value;
    }
}
