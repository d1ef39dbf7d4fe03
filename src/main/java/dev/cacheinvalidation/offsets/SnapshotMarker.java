package dev.cacheinvalidation.offsets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * With a schema-only snapshot ({@code snapshot.mode=no_data}) the binlog connector keeps marking its offsets as
 * "initial snapshot running" until the first row change arrives, heartbeats included. Restarted from such an
 * offset it takes a new schema snapshot at the server's current position and skips what was committed while it
 * was down. A schema-only snapshot is complete once streaming has begun (the only time offsets are saved), so
 * the marker is dropped from the offsets we save.
 */
final class SnapshotMarker {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SnapshotMarker() {
    }

    static boolean isSchemaOnly(String snapshotMode) {
        return "no_data".equalsIgnoreCase(snapshotMode) || "schema_only".equalsIgnoreCase(snapshotMode);
    }

    static Map<ByteBuffer, ByteBuffer> withoutSnapshotMarker(Map<ByteBuffer, ByteBuffer> offsets) {
        Map<ByteBuffer, ByteBuffer> cleaned = new LinkedHashMap<>(offsets.size() * 2);
        offsets.forEach((key, value) -> cleaned.put(key, clean(value)));
        return cleaned;
    }

    private static ByteBuffer clean(ByteBuffer value) {
        if (value == null) {
            return null;
        }
        try {
            byte[] bytes = new byte[value.remaining()];
            value.duplicate().get(bytes);
            JsonNode offset = JSON.readTree(bytes);
            if (offset instanceof ObjectNode object && object.has("snapshot")) {
                object.remove("snapshot");
                return ByteBuffer.wrap(JSON.writeValueAsBytes(object));
            }
            return value;
        } catch (IOException e) {
            // not a JSON offset: leave it as the connector wrote it
            return value;
        }
    }
}
