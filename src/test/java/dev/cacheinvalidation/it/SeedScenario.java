package dev.cacheinvalidation.it;

import java.sql.Connection;
import java.sql.Statement;
import java.util.List;

import redis.clients.jedis.Jedis;

/** The original example's scenario: alice's email changes, her five keys go, other rows' keys stay. */
public final class SeedScenario {

    /** Keys of rows the change does not touch. */
    public static final List<String> CONTROL = List.of("user:2", "user:email:bob@example.com", "product:1");

    private SeedScenario() {
    }

    /** The keys the seed's script derives when alice's email becomes {@code newEmail}. */
    public static List<String> aliceKeys(String newEmail) {
        return List.of("user:1", "user:email:" + newEmail, "user:email:alice@example.com", "user:1:orders",
                "user:1:profile");
    }

    /** Gives alice her original email again, so that the next change of it is a change. */
    public static void resetAlice(TestServers servers) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE users SET email = 'alice@example.com' WHERE id = 1");
        }
    }

    /** Caches alice's keys for that change and the control keys. */
    public static void setKeys(TestServers servers, String newEmail) {
        try (Jedis jedis = servers.redis()) {
            for (String key : aliceKeys(newEmail)) {
                jedis.set(key, "cached");
            }
            for (String key : CONTROL) {
                jedis.set(key, "cached");
            }
        }
    }
}
