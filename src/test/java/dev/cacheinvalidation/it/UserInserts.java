package dev.cacheinvalidation.it;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A workload of many changes: users inserted with ids of a range of their own, in transactions of
 * {@code perTransaction} rows. The seed script derives four keys from each insert.
 */
public final class UserInserts {

    private final int firstId;
    private final int count;

    public UserInserts(int count) {
        // a range no other run uses, far above the sample rows
        this.firstId = 1_000_000 + ThreadLocalRandom.current().nextInt(1000) * 100_000;
        this.count = count;
    }

    public List<Integer> ids() {
        List<Integer> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(firstId + i);
        }
        return ids;
    }

    /** The keys the seed script names for the insert of user {@code id}. */
    public static List<String> keysOf(int id) {
        return List.of("user:" + id, "user:email:u" + id + "@example.com", "user:" + id + ":orders",
                "user:" + id + ":profile");
    }

    public List<String> allKeys() {
        List<String> keys = new ArrayList<>(count * 4);
        for (int id : ids()) {
            keys.addAll(keysOf(id));
        }
        return keys;
    }

    /** Keys of users of the same range that no change touches. */
    public List<String> controlKeys(int howMany) {
        List<String> keys = new ArrayList<>(howMany);
        for (int i = 0; i < howMany; i++) {
            keys.add("user:" + (firstId + count + 10 + i));
        }
        return keys;
    }

    /** Users {@code first} to {@code first + count - 1}, inserted where missing (INSERT IGNORE), in one transaction. */
    public static void ensure(TestServers servers, int first, int count) throws Exception {
        try (Connection db = servers.admin();
                PreparedStatement insert = db.prepareStatement("INSERT IGNORE INTO users (id, email, name) VALUES (?, ?, ?)")) {
            db.setAutoCommit(false);
            for (int id = first; id < first + count; id++) {
                insert.setInt(1, id);
                insert.setString(2, "u" + id + "@example.com");
                insert.setString(3, "user");
                insert.addBatch();
                if ((id - first) % 1000 == 999) {
                    insert.executeBatch();
                }
            }
            insert.executeBatch();
            db.commit();
        }
    }

    /** Inserts the users from {@code from} (inclusive) to {@code to} (exclusive) of the range. */
    public void insert(TestServers servers, int from, int to, int perTransaction) throws Exception {
        try (Connection db = servers.admin();
                PreparedStatement insert = db.prepareStatement("INSERT INTO users (id, email, name) VALUES (?, ?, ?)")) {
            db.setAutoCommit(false);
            for (int i = from; i < to; i++) {
                int id = firstId + i;
                insert.setInt(1, id);
                insert.setString(2, "u" + id + "@example.com");
                insert.setString(3, "User " + id);
                insert.addBatch();
                if ((i - from + 1) % perTransaction == 0 || i == to - 1) {
                    insert.executeBatch();
                    db.commit();
                }
            }
        }
    }

    public void insertAll(TestServers servers, int perTransaction) throws Exception {
        insert(servers, 0, count, perTransaction);
    }

    /** Removes the rows again (their deletes are changes too, harmless once the test has looked). */
    public void deleteRows(TestServers servers) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("DELETE FROM users WHERE id >= " + firstId + " AND id < " + (firstId + count));
        }
    }
}
