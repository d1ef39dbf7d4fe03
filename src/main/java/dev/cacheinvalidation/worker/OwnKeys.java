package dev.cacheinvalidation.worker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.cacheinvalidation.offsets.RedisOffsetStore;
import dev.cacheinvalidation.offsets.RedisUriSchemaHistory;

/**
 * The keys the application itself keeps: the stream, the dead-letter streams, and the connector's position and
 * schema history when they live in Redis. A script's event may name one, plainly or by a pattern such as
 * {@code cache:*} or {@code *}; deleting it would drop unread invalidations or the binlog position, so the worker
 * never does, in whichever Redis it deletes from.
 */
final class OwnKeys {

    private final Set<String> keys;

    OwnKeys(List<String> streams, String connectorName) {
        Set<String> all = new LinkedHashSet<>();
        streams.stream().map(String::trim).filter(key -> !key.isEmpty()).forEach(all::add);
        if (connectorName != null && !connectorName.isBlank()) {
            all.add(RedisOffsetStore.keyOf(connectorName));
            all.add(RedisUriSchemaHistory.keyOf(connectorName));
        }
        this.keys = Set.copyOf(all);
    }

    boolean contains(String key) {
        return keys.contains(key);
    }

    /** The keys that are not ours, in their order; those that are go to {@code spared}. */
    List<String> without(List<String> candidates, Collection<String> spared) {
        List<String> kept = new ArrayList<>(candidates.size());
        for (String key : candidates) {
            (keys.contains(key) ? spared : kept).add(key);
        }
        return kept;
    }
}
