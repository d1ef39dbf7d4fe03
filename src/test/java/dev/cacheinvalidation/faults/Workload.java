package dev.cacheinvalidation.faults;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The changes of one scenario, planned up front from a seed and applied to the four captured tables in transactions
 * of 1 to {@code maxTransactionSize} rows.
 * <p>
 * Rows live in an id range of their own, starting at {@code base}: the marker row ({@code users} row {@code base},
 * whose name the harness changes to see how far the pipeline got), control rows (never touched: their cache keys
 * must survive), seed rows (inserted before the pipeline starts, so that there is something to update and delete),
 * then the rows the workload inserts. Inventory rows use their own id as {@code product_id}, so every row has
 * exactly one primary cache key: {@code user:<id>}, {@code product:<id>}, {@code order:<id>} or
 * {@code inventory:<id>}.
 * <p>
 * Every insert and update writes a fresh version number into the row (users and products: {@code name = v<n>};
 * orders: {@code status = v<n>}; inventory: {@code quantity = n}), so each change is recognisable in the stream:
 * {@code table|id|c}, {@code table|id|u|<version>}, {@code table|id|d} (ids are never reused).
 * <p>
 * A change counts only once its COMMIT returned. When the connection breaks during a COMMIT, the outcome is looked
 * up in the rows (every row the transaction leaves in a distinguishable state must show it); a transaction that
 * did not commit is applied again; one whose outcome cannot be told is excluded and reported.
 */
public final class Workload {

    public enum Table {
        USERS("users", "user:", "name"),
        PRODUCTS("products", "product:", "name"),
        ORDERS("orders", "order:", "status"),
        INVENTORY("inventory", "inventory:", "quantity");

        final String sqlName;
        final String keyPrefix;
        final String versionColumn;

        Table(String sqlName, String keyPrefix, String versionColumn) {
            this.sqlName = sqlName;
            this.keyPrefix = keyPrefix;
            this.versionColumn = versionColumn;
        }

        /** {@code app.<table>}, as the events name it. */
        public String qualified() {
            return "app." + sqlName;
        }

        /** The primary cache key of a row (inventory rows have {@code product_id = id}). */
        public String cacheKey(long id) {
            return keyPrefix + id;
        }

        /** The version as the row (and so the event) holds it. */
        String versionText(long version) {
            return this == INVENTORY ? Long.toString(version) : "v" + version;
        }

        static Table ofQualified(String qualified) {
            for (Table table : values()) {
                if (table.qualified().equals(qualified)) {
                    return table;
                }
            }
            return null;
        }
    }

    /** One row change: op c (insert), u (update) or d (delete). */
    public record Change(Table table, long id, char op, long version) {

        public String identity() {
            return identity(table, id, op, op == 'u' ? table.versionText(version) : null);
        }

        public String cacheKey() {
            return table.cacheKey(id);
        }

        static String identity(Table table, long id, char op, String versionText) {
            return table.sqlName + "|" + id + "|" + op + (op == 'u' ? "|" + versionText : "");
        }
    }

    public record Transaction(int index, List<Change> changes) {
    }

    /** How a transaction ended. */
    enum Outcome {
        COMMITTED, EXCLUDED
    }

    private final long base;
    private final long end;
    private final int controlPerTable;
    private final int seedPerTable;
    private final List<Transaction> transactions;
    private final Map<Table, List<Long>> controlRows;
    private final Map<Table, List<Long>> seedRows;

    private final AtomicInteger committedTransactions = new AtomicInteger();
    private final AtomicLong committedChanges = new AtomicLong();
    private final List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger unknownCommits = new AtomicInteger();
    private final AtomicInteger unknownCommitted = new AtomicInteger();
    private final AtomicInteger retried = new AtomicInteger();
    private final List<String> notes = Collections.synchronizedList(new ArrayList<>());
    private volatile long holdAt = Long.MAX_VALUE;
    private volatile boolean aborted;
    private volatile boolean finished;
    private volatile Throwable failure;

    private Workload(long base, int controlPerTable, int seedPerTable, List<Transaction> transactions,
            Map<Table, List<Long>> controlRows, Map<Table, List<Long>> seedRows, long end) {
        this.base = base;
        this.controlPerTable = controlPerTable;
        this.seedPerTable = seedPerTable;
        this.transactions = transactions;
        this.controlRows = controlRows;
        this.seedRows = seedRows;
        this.end = end;
    }

    /**
     * Plans {@code changes} row changes (inserts 30 %, updates 50 %, deletes 20 %, over the four tables alike) in
     * transactions of 1 to {@code maxTransactionSize} rows.
     */
    public static Workload plan(long base, int changes, long seed, int maxTransactionSize, int controlPerTable,
            int seedPerTable) {
        return plan(base, changes, seed, maxTransactionSize, controlPerTable, seedPerTable, false);
    }

    /**
     * As {@link #plan(long, int, long, int, int, int)}; with {@code touchOnce} every row is changed at most once
     * (updates and deletes pick seed rows not changed yet, inserted rows are left alone), so that each change has a
     * cache key of its own and a single lost stream entry leaves a key behind.
     */
    public static Workload plan(long base, int changes, long seed, int maxTransactionSize, int controlPerTable,
            int seedPerTable, boolean touchOnce) {
        Random random = new Random(seed);
        Table[] tables = Table.values();
        long nextId = base + 1;
        Map<Table, List<Long>> control = new EnumMap<>(Table.class);
        Map<Table, List<Long>> seeded = new EnumMap<>(Table.class);
        Map<Table, List<Long>> live = new EnumMap<>(Table.class);
        for (Table table : tables) {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < controlPerTable; i++) {
                ids.add(nextId++);
            }
            control.put(table, ids);
        }
        for (Table table : tables) {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < seedPerTable; i++) {
                ids.add(nextId++);
            }
            seeded.put(table, ids);
            live.put(table, new ArrayList<>(ids));
        }
        List<Transaction> transactions = new ArrayList<>();
        long version = 0;
        int remaining = changes;
        while (remaining > 0) {
            int size = Math.min(remaining, 1 + random.nextInt(maxTransactionSize));
            List<Change> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                Table table = tables[random.nextInt(tables.length)];
                List<Long> rows = live.get(table);
                double p = random.nextDouble();
                char op = rows.isEmpty() || p < 0.3 ? 'c' : p < 0.8 ? 'u' : 'd';
                long id;
                if (op == 'c') {
                    id = nextId++;
                    if (!touchOnce) {
                        rows.add(id);
                    }
                } else {
                    int index = random.nextInt(rows.size());
                    id = rows.get(index);
                    if (op == 'd' || touchOnce) {
                        rows.set(index, rows.get(rows.size() - 1));
                        rows.remove(rows.size() - 1);
                    }
                }
                list.add(new Change(table, id, op, ++version));
            }
            transactions.add(new Transaction(transactions.size(), List.copyOf(list)));
            remaining -= size;
        }
        return new Workload(base, controlPerTable, seedPerTable, transactions, control, seeded, nextId);
    }

    public long markerId() {
        return base;
    }

    /** First id of the range (the marker row). */
    public long firstId() {
        return base;
    }

    /** One past the last id of the range. */
    public long endId() {
        return end;
    }

    public List<Transaction> transactions() {
        return transactions;
    }

    public int plannedChanges() {
        return transactions.stream().mapToInt(t -> t.changes().size()).sum();
    }

    /** Primary cache keys of the control rows: nothing may delete them. */
    public List<String> controlKeys() {
        List<String> keys = new ArrayList<>();
        controlRows.forEach((table, ids) -> ids.forEach(id -> keys.add(table.cacheKey(id))));
        return keys;
    }

    /** Primary cache keys of every row the plan touches. */
    public Set<String> plannedKeys() {
        Set<String> keys = new LinkedHashSet<>();
        for (Transaction transaction : transactions) {
            for (Change change : transaction.changes()) {
                keys.add(change.cacheKey());
            }
        }
        return keys;
    }

    // ------------------------------------------------------------------ before the pipeline starts

    /** Inserts the marker, control and seed rows (before the pipeline starts, so no event is expected for them). */
    public void seed(Connection db) throws SQLException {
        db.setAutoCommit(true);
        try (Statement statement = db.createStatement()) {
            statement.executeUpdate("INSERT INTO users (id, email, name) VALUES (" + base + ", 'marker" + base
                    + "@fault.test', 'marker-0')");
            for (Table table : Table.values()) {
                List<Long> ids = new ArrayList<>(controlRows.get(table));
                ids.addAll(seedRows.get(table));
                for (int from = 0; from < ids.size(); from += 500) {
                    StringBuilder sql = new StringBuilder(WorkloadSql.insertPrefix(table));
                    List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + 500));
                    for (int i = 0; i < chunk.size(); i++) {
                        sql.append(i == 0 ? "" : ", ").append(WorkloadSql.valuesOf(table, chunk.get(i), 0));
                    }
                    statement.executeUpdate(sql.toString());
                }
            }
        }
    }

    // ------------------------------------------------------------------ running

    /**
     * Applies the plan, in this thread, on connections from {@code connect} (which must retry until the server is
     * back or give up by throwing).
     */
    public void run(Callable<Connection> connect) {
        Connection db = null;
        Map<String, PreparedStatement> statements = new HashMap<>();
        try {
            for (Transaction transaction : transactions) {
                while (committedChanges.get() >= holdAt && !aborted) {
                    Thread.sleep(5);
                }
                if (aborted) {
                    break;
                }
                int attempt = 0;
                while (true) {
                    boolean committing = false;
                    try {
                        if (db == null) {
                            db = connect.call();
                            db.setAutoCommit(false);
                            statements.clear();
                        }
                        for (Change change : transaction.changes()) {
                            WorkloadSql.apply(db, statements, change);
                        }
                        committing = true;
                        db.commit();
                        record(transaction, Outcome.COMMITTED);
                        break;
                    } catch (SQLException e) {
                        WorkloadSql.closeQuietly(db);
                        db = null;
                        attempt++;
                        if (committing) {
                            unknownCommits.incrementAndGet();
                            Boolean committed = committedRetrying(connect, transaction);
                            if (committed == null) {
                                notes.add("transaction " + transaction.index() + " (" + transaction.changes().size()
                                        + " changes): COMMIT failed (" + e.getMessage()
                                        + ") and the rows do not tell whether it committed: excluded");
                                record(transaction, Outcome.EXCLUDED);
                                break;
                            }
                            if (committed) {
                                unknownCommitted.incrementAndGet();
                                notes.add("transaction " + transaction.index() + ": COMMIT failed (" + e.getMessage()
                                        + ") but the rows show it committed");
                                record(transaction, Outcome.COMMITTED);
                                break;
                            }
                            notes.add("transaction " + transaction.index() + ": COMMIT failed (" + e.getMessage()
                                    + ") and the rows show it did not commit: applying it again");
                        }
                        retried.incrementAndGet();
                        if (attempt > 100) {
                            throw new IllegalStateException("transaction " + transaction.index() + " failed " + attempt
                                    + " times; last: " + e.getMessage(), e);
                        }
                        Thread.sleep(100);
                    }
                }
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            WorkloadSql.closeQuietly(db);
            finished = true;
        }
    }

    /** {@link WorkloadSql#committed(Connection, Transaction)} on a fresh connection, again while the server is away. */
    private static Boolean committedRetrying(Callable<Connection> connect, Transaction transaction) throws Exception {
        for (int attempt = 1;; attempt++) {
            Connection check = connect.call();
            try {
                return WorkloadSql.committed(check, transaction);
            } catch (SQLException e) {
                if (attempt >= 50) {
                    throw e;
                }
                Thread.sleep(200);
            } finally {
                WorkloadSql.closeQuietly(check);
            }
        }
    }

    private void record(Transaction transaction, Outcome outcome) {
        outcomes.add(outcome);
        committedTransactions.incrementAndGet();
        if (outcome == Outcome.COMMITTED) {
            committedChanges.addAndGet(transaction.changes().size());
        }
    }

    // ------------------------------------------------------------------ progress and results

    /** Pauses the workload before the next transaction once this many changes have committed. */
    public void holdAt(long changes) {
        holdAt = changes;
    }

    public void release() {
        holdAt = Long.MAX_VALUE;
    }

    /** Stops the workload before its next transaction. */
    public void abort() {
        aborted = true;
    }

    public long committedChanges() {
        return committedChanges.get();
    }

    /** Transactions that ended (committed or excluded), in plan order: the first n of the plan. */
    public int endedTransactions() {
        return committedTransactions.get();
    }

    public boolean finished() {
        return finished;
    }

    public Throwable failure() {
        return failure;
    }

    /** Transactions committed so far. */
    public int committedTransactions() {
        synchronized (outcomes) {
            return (int) outcomes.stream().filter(outcome -> outcome == Outcome.COMMITTED).count();
        }
    }

    /** Committed changes among the first {@code ended} transactions. */
    public List<Change> committed(int ended) {
        List<Change> changes = new ArrayList<>();
        synchronized (outcomes) {
            for (int i = 0; i < ended && i < outcomes.size(); i++) {
                if (outcomes.get(i) == Outcome.COMMITTED) {
                    changes.addAll(transactions.get(i).changes());
                }
            }
        }
        return changes;
    }

    /** Changes of transactions excluded because their outcome could not be told. */
    public List<Change> excluded() {
        List<Change> changes = new ArrayList<>();
        synchronized (outcomes) {
            for (int i = 0; i < outcomes.size(); i++) {
                if (outcomes.get(i) == Outcome.EXCLUDED) {
                    changes.addAll(transactions.get(i).changes());
                }
            }
        }
        return changes;
    }

    public int unknownCommits() {
        return unknownCommits.get();
    }

    public int unknownCommitsThatCommitted() {
        return unknownCommitted.get();
    }

    public int retriedTransactions() {
        return retried.get();
    }

    public List<String> notes() {
        synchronized (notes) {
            return new ArrayList<>(notes);
        }
    }

    @Override
    public String toString() {
        return "Workload[ids " + base + ".." + (end - 1) + ", " + transactions.size() + " transactions, "
                + plannedChanges() + " changes, " + controlPerTable + " control and " + seedPerTable
                + " seed rows per table]";
    }
}
