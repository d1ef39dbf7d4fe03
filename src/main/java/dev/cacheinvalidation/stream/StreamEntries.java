package dev.cacheinvalidation.stream;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import redis.clients.jedis.Builder;

/**
 * Reads the entries of an XREADGROUP or XAUTOCLAIM reply (RESP2, as the client speaks) straight into
 * {@link StreamMessage}s: ids as text, fields as the bytes received, no per-entry maps or parsed ids in between.
 */
final class StreamEntries {

    private StreamEntries() {
    }

    /** XREADGROUP on one stream: {@code [[stream, [entry...]]]} or nil. */
    static final Builder<List<StreamMessage>> READ_ONE_STREAM = new Builder<>() {
        @Override
        public List<StreamMessage> build(Object reply) {
            if (reply == null) {
                return List.of();
            }
            List<?> streams = list(reply, "XREADGROUP reply");
            if (streams.isEmpty()) {
                return List.of();
            }
            return entries(list(streams.get(0), "XREADGROUP stream").get(1));
        }
    };

    /** {@code [[id, [name, value, ...]], ...]}; an entry trimmed from the stream comes as {@code [id, nil]} or nil. */
    static List<StreamMessage> entries(Object reply) {
        List<?> entries = list(reply, "stream entries");
        List<StreamMessage> messages = new ArrayList<>(entries.size());
        for (Object item : entries) {
            if (item == null) {
                continue;
            }
            List<?> entry = list(item, "stream entry");
            String id = text(entry.get(0));
            Object fields = entry.size() > 1 ? entry.get(1) : null;
            if (fields == null) {
                messages.add(StreamMessage.trimmed(id));
                continue;
            }
            List<?> namesAndValues = list(fields, "fields of entry " + id);
            byte[][] raw = new byte[namesAndValues.size()][];
            for (int i = 0; i < raw.length; i++) {
                raw[i] = (byte[]) namesAndValues.get(i);
            }
            messages.add(new StreamMessage(id, raw));
        }
        return messages;
    }

    static String text(Object bytes) {
        return new String((byte[]) bytes, StandardCharsets.ISO_8859_1);
    }

    private static List<?> list(Object reply, String what) {
        if (reply instanceof List<?> list) {
            return list;
        }
        throw new IllegalStateException("unexpected " + what + " from Redis: "
                + (reply == null ? "nil" : reply.getClass().getSimpleName()));
    }
}
