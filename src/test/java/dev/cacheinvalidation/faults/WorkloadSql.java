package dev.cacheinvalidation.faults;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.cacheinvalidation.faults.Workload.Change;
import dev.cacheinvalidation.faults.Workload.Table;
import dev.cacheinvalidation.faults.Workload.Transaction;

/** The SQL of the workload: the rows it seeds, the statement of each change, and whether a transaction committed. */
final class WorkloadSql {

    private WorkloadSql() {
    }

    static String insertPrefix(Table table) {
        return switch (table) {
            case USERS -> "INSERT INTO users (id, email, name) VALUES ";
            case PRODUCTS -> "INSERT INTO products (id, name, category_id, price) VALUES ";
            case ORDERS -> "INSERT INTO orders (id, user_id, total, status) VALUES ";
            case INVENTORY -> "INSERT INTO inventory (id, product_id, quantity) VALUES ";
        };
    }

    static String valuesOf(Table table, long id, long version) {
        return switch (table) {
            case USERS -> "(" + id + ", 'f" + id + "@fault.test', 'v" + version + "')";
            case PRODUCTS -> "(" + id + ", 'v" + version + "', " + id + ", " + price(version) + ")";
            case ORDERS -> "(" + id + ", " + id + ", " + price(version) + ", 'v" + version + "')";
            case INVENTORY -> "(" + id + ", " + id + ", " + version + ")";
        };
    }

    static String price(long version) {
        return (version % 100_000) + "." + String.format("%02d", version % 100);
    }

    static void apply(Connection db, Map<String, PreparedStatement> statements, Change change) throws SQLException {
        Table table = change.table();
        long id = change.id();
        long v = change.version();
        PreparedStatement statement;
        switch (change.op()) {
            case 'c' -> {
                statement = prepared(db, statements, table + "c", switch (table) {
                    case USERS -> "INSERT INTO users (id, email, name) VALUES (?, ?, ?)";
                    case PRODUCTS -> "INSERT INTO products (id, name, category_id, price) VALUES (?, ?, ?, ?)";
                    case ORDERS -> "INSERT INTO orders (id, user_id, total, status) VALUES (?, ?, ?, ?)";
                    case INVENTORY -> "INSERT INTO inventory (id, product_id, quantity) VALUES (?, ?, ?)";
                });
                statement.setLong(1, id);
                switch (table) {
                    case USERS -> {
                        statement.setString(2, "f" + id + "@fault.test");
                        statement.setString(3, "v" + v);
                    }
                    case PRODUCTS -> {
                        statement.setString(2, "v" + v);
                        statement.setLong(3, id);
                        statement.setBigDecimal(4, new java.math.BigDecimal(price(v)));
                    }
                    case ORDERS -> {
                        statement.setLong(2, id);
                        statement.setBigDecimal(3, new java.math.BigDecimal(price(v)));
                        statement.setString(4, "v" + v);
                    }
                    case INVENTORY -> {
                        statement.setLong(2, id);
                        statement.setLong(3, v);
                    }
                }
            }
            case 'u' -> {
                statement = prepared(db, statements, table + "u", switch (table) {
                    case USERS -> "UPDATE users SET name = ? WHERE id = ?";
                    case PRODUCTS -> "UPDATE products SET name = ?, price = ? WHERE id = ?";
                    case ORDERS -> "UPDATE orders SET status = ?, total = ? WHERE id = ?";
                    case INVENTORY -> "UPDATE inventory SET quantity = ? WHERE id = ?";
                });
                switch (table) {
                    case USERS -> {
                        statement.setString(1, "v" + v);
                        statement.setLong(2, id);
                    }
                    case PRODUCTS, ORDERS -> {
                        statement.setString(1, "v" + v);
                        statement.setBigDecimal(2, new java.math.BigDecimal(price(v)));
                        statement.setLong(3, id);
                    }
                    case INVENTORY -> {
                        statement.setLong(1, v);
                        statement.setLong(2, id);
                    }
                }
            }
            default -> {
                statement = prepared(db, statements, table + "d", "DELETE FROM " + table.sqlName + " WHERE id = ?");
                statement.setLong(1, id);
            }
        }
        int rows = statement.executeUpdate();
        if (rows != 1) {
            throw new IllegalStateException("the workload's model is wrong: " + change + " changed " + rows + " rows");
        }
    }

    static PreparedStatement prepared(Connection db, Map<String, PreparedStatement> statements, String name,
            String sql) throws SQLException {
        PreparedStatement statement = statements.get(name);
        if (statement == null) {
            statement = db.prepareStatement(sql);
            statements.put(name, statement);
        }
        return statement;
    }

    /**
     * Whether a transaction whose COMMIT failed committed: TRUE when every row it leaves in a recognisable state
     * (inserted or updated: present with the transaction's version; deleted: absent) shows it, FALSE when none
     * does, null when the rows disagree or there is no such row (a row inserted and deleted again).
     */
    static Boolean committed(Connection db, Transaction transaction) throws SQLException {
        Map<String, Change> last = new LinkedHashMap<>();
        Map<String, Character> first = new HashMap<>();
        for (Change change : transaction.changes()) {
            String row = change.table() + "|" + change.id();
            last.put(row, change);
            first.putIfAbsent(row, change.op());
        }
        int shows = 0;
        int checked = 0;
        db.setAutoCommit(true);
        for (Map.Entry<String, Change> entry : last.entrySet()) {
            Change change = entry.getValue();
            if (change.op() == 'd' && first.get(entry.getKey()) == 'c') {
                continue;
            }
            String current = null;
            try (PreparedStatement statement = db.prepareStatement("SELECT CAST(" + change.table().versionColumn
                    + " AS CHAR) FROM " + change.table().sqlName + " WHERE id = ?")) {
                statement.setLong(1, change.id());
                try (ResultSet rows = statement.executeQuery()) {
                    if (rows.next()) {
                        current = rows.getString(1);
                    }
                }
            }
            checked++;
            boolean applied = change.op() == 'd' ? current == null
                    : change.table().versionText(change.version()).equals(current);
            if (applied) {
                shows++;
            }
        }
        if (checked == 0 || shows != 0 && shows != checked) {
            return null;
        }
        return shows == checked;
    }

    static void closeQuietly(Connection db) {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException | RuntimeException ignored) {
                // the connection is gone anyway
            }
        }
    }
}
