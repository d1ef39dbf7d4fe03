package dev.cacheinvalidation.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When each version of each hot row was committed (nanoTime), written by the key's one writer and read by every
 * reader: versions after the round's start version, in chunks, each published by a volatile count.
 */
final class VersionHistory {
    private static final int CHUNK = 4096;

    private final long[] base;
    private final List<List<long[]>> chunks = new ArrayList<>();
    private final AtomicLongArray published;

    VersionHistory(int keys) {
        base = new long[keys];
        published = new AtomicLongArray(keys);
        for (int i = 0; i < keys; i++) {
            chunks.add(new CopyOnWriteArrayList<>());
        }
    }

    void start(long[] versions) {
        System.arraycopy(versions, 0, base, 0, versions.length);
    }

    /** By the key's writer only, for versions base+1, base+2, ... in order. */
    void committed(int key, long version, long nanos) {
        long offset = version - base[key] - 1;
        List<long[]> list = chunks.get(key);
        if (offset / CHUNK >= list.size()) {
            list.add(new long[CHUNK]);
        }
        list.get((int) (offset / CHUNK))[(int) (offset % CHUNK)] = nanos;
        published.set(key, offset + 1);
    }

    /** When the version was committed, or 0 if it was not (yet). */
    long commitTimeOf(int key, long version) {
        long offset = version - base[key] - 1;
        if (offset < 0 || offset >= published.get(key)) {
            return 0;
        }
        return chunks.get(key).get((int) (offset / CHUNK))[(int) (offset % CHUNK)];
    }
}
