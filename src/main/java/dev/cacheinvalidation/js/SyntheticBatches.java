package dev.cacheinvalidation.js;

import java.util.Locale;

/**
 * Batches of native events, as JSON, shaped like the binlog's changes to the example's tables: what the script runs
 * over where no real change is at hand (the training run of the ahead-of-time cache, the warm-up at start).
 */
public final class SyntheticBatches {

    public static final int EVENTS_PER_BATCH = 100;

    private SyntheticBatches() {
    }

    /** A transaction's worth of changes to the example's tables: updates mostly, some inserts and deletes. */
    public static String batch(int batch) {
        StringBuilder json = new StringBuilder(EVENTS_PER_BATCH * 400).append('[');
        String tx = "0-1-" + (1000 + batch);
        for (int i = 0; i < EVENTS_PER_BATCH; i++) {
            int id = batch * EVENTS_PER_BATCH + i + 1;
            String op = i % 10 == 0 ? "c" : i % 10 == 1 ? "d" : "u";
            String table = switch (i % 4) {
                case 0 -> "users";
                case 1 -> "products";
                case 2 -> "orders";
                default -> "inventory";
            };
            String before = "c".equals(op) ? "null" : row(table, id, batch);
            String after = "d".equals(op) ? "null" : row(table, id, batch + 1);
            if (i > 0) {
                json.append(',');
            }
            json.append(String.format(Locale.ROOT, "{\"op\":\"%s\",\"table\":\"app.%s\",\"before\":%s,\"after\":%s,"
                    + "\"tags\":[],\"source\":{\"file\":\"mysql-bin.000001\",\"pos\":%d,\"row\":%d,\"gtid\":\"%s\","
                    + "\"server_id\":1,\"ts_ms\":1795779994000},\"tx\":\"%s\"}", op, table, before, after,
                    4000 + batch * 50, i, tx, tx));
        }
        return json.append(']').toString();
    }

    private static String row(String table, int id, int version) {
        return switch (table) {
            case "users" -> String.format(Locale.ROOT, "{\"id\":%d,\"email\":\"user%d.v%d@example.com\",\"name\":"
                    + "\"User %d\",\"created_at\":\"2026-11-27T11:45:27.660\"}", id, id, version, id);
            case "products" -> String.format(Locale.ROOT, "{\"id\":%d,\"name\":\"product %d\",\"category_id\":%d,"
                    + "\"price\":\"%d.99\"}", id, id, id % 50, version);
            case "orders" -> String.format(Locale.ROOT, "{\"id\":%d,\"user_id\":%d,\"status\":\"v%d\","
                    + "\"total\":\"%d.50\"}", id, id % 100, version, version);
            default -> String.format(Locale.ROOT, "{\"id\":%d,\"product_id\":%d,\"quantity\":%d}", id, id % 500,
                    version);
        };
    }
}
