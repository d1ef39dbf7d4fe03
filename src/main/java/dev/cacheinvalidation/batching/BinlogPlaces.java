package dev.cacheinvalidation.batching;

import java.util.Arrays;

/**
 * The binlog places (file, position, row) of a transaction's events, compactly: a transaction lies in one binlog
 * file, and its events come in increasing order, so a sorted array of {@code position * 65536 + row} answers
 * "seen already?" by binary search at 8 bytes an event. Places of another file (another server) are not kept: they
 * are never taken for seen.
 */
final class BinlogPlaces {

    private String file;
    private long[] keys = new long[16];
    private int size;

    void add(String inFile, long position, Integer row) {
        if (file == null) {
            file = inFile;
        } else if (!file.equals(inFile)) {
            return;
        }
        long key = key(position, row);
        if (size > 0 && key <= keys[size - 1]) {
            int at = Arrays.binarySearch(keys, 0, size, key);
            if (at >= 0) {
                return;
            }
            insert(-at - 1, key);
            return;
        }
        insert(size, key);
    }

    boolean contains(String inFile, long position, Integer row) {
        return inFile.equals(file) && Arrays.binarySearch(keys, 0, size, key(position, row)) >= 0;
    }

    private void insert(int at, long key) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
        }
        System.arraycopy(keys, at, keys, at + 1, size - at);
        keys[at] = key;
        size++;
    }

    private static long key(long position, Integer row) {
        return (position << 16) + (row == null ? 0 : row);
    }
}
