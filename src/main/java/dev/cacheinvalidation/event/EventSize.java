package dev.cacheinvalidation.event;

import java.util.List;
import java.util.Map;

/**
 * About how many bytes an event takes, in memory and as JSON: its text counted a byte a character, a few bytes for
 * every other value. Cheap (one walk over the columns) and good enough to bound batches by bytes as well as by
 * events, so that wide rows make smaller batches.
 */
public final class EventSize {

    private static final int OVERHEAD = 64;
    private static final int VALUE = 8;

    private EventSize() {
    }

    public static long of(ChangeEvent event) {
        return OVERHEAD + event.table().length() + of(event.before()) + of(event.after());
    }

    private static long of(Object value) {
        if (value == null) {
            return VALUE;
        }
        if (value instanceof String text) {
            return VALUE + text.length();
        }
        if (value instanceof Map<?, ?> map) {
            long size = VALUE;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                size += String.valueOf(entry.getKey()).length() + of(entry.getValue());
            }
            return size;
        }
        if (value instanceof List<?> list) {
            long size = VALUE;
            for (Object item : list) {
                size += of(item);
            }
            return size;
        }
        return VALUE;
    }
}
