package dev.cacheinvalidation.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.JvmOptions;
import dev.cacheinvalidation.it.ProcessStats;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;

/**
 * What the figures share: the servers of {@code bench/run.sh} (via {@code -Dservers.env}), launching the packaged
 * application the way every figure does (an {@link AppProcess}), command-line flags, and the result rows that
 * {@link BenchReport} turns into {@code bench/results/latest.md}.
 */
final class BenchSupport {

    static final String GROUP = "cache-workers";
    /** The packaged application; bench/run.sh points this at its copy of the build. */
    static final Path JAR = Path.of(System.getProperty("bench.jar", "target/cache-invalidation.jar")).toAbsolutePath();
    /** Where the application runs (routes/, application.properties); bench/run.sh points this at its copy. */
    static final Path APP_DIR = Path.of(System.getProperty("bench.appDir", ".")).toAbsolutePath();

    private BenchSupport() {
    }

    // ------------------------------------------------------------------ flags and output

    /** {@code --name value} flags of a figure's main, with defaults. */
    static final class Flags {
        private final Map<String, String> values = new LinkedHashMap<>();

        Flags(String[] args) {
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument " + args[i]);
                }
                String name = args[i].substring(2);
                boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
                values.put(name, hasValue ? args[++i] : "true");
            }
        }

        int integer(String name, int fallback) {
            return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
        }

        String text(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }

        boolean bool(String name) {
            return Boolean.parseBoolean(values.getOrDefault(name, "false"));
        }
    }

    /** The backlog of the catch-up figures: {@code --rows N} products changed {@code --rounds N} times (tx of 100). */
    record Backlog(int rows, int rounds) {
        static Backlog of(Flags flags) {
            return new Backlog(flags.integer("rows", 1000), flags.integer("rounds", 100));
        }

        long changes() {
            return (long) rows * rounds;
        }
    }

    /**
     * Steady row changes for {@code --duration S} seconds: {@code --rate N} a second, {@code --tx-rows N} a
     * transaction, over {@code --connections N}.
     */
    record WriteLoad(int duration, int rate, int txRows, int connections) {
        static WriteLoad of(Flags flags, int seconds) {
            return new WriteLoad(flags.integer("duration", seconds), flags.integer("rate", 5000),
                    flags.integer("tx-rows", 5), flags.integer("connections", 4));
        }
    }

    /** Where a run keeps its logs, recordings and result rows (under target/, not committed). */
    static Path runDir() {
        Path dir = Path.of(System.getProperty("bench.out", "target/bench/manual"));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** One row of the results table: figure, result, target, reference. */
    static void row(String figure, String result, String target, String reference) {
        append("rows.tsv", String.join("\t", figure, result, target, reference) + "\n");
        System.out.printf("| %s | %s | %s | %s |%n", figure, result, target, reference);
    }

    /** A line for the details section under the table. */
    static void detail(String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        append("details.md", line + "\n");
        System.out.println(line);
    }

    private static synchronized void append(String file, String text) {
        try {
            Files.writeString(runDir().resolve(file), text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String num(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    static String ms(double nanos) {
        return String.format(Locale.ROOT, "%,.0f ms", nanos / 1e6);
    }

    static String seconds(double nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ", 4)[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * How a pipeline filled a stream: when its first entry arrived and when the expected count was reached (0 if
     * never), the pipeline's CPU seconds at both, and when the stream last grew.
     */
    record Fill(long first, long done, long lastProgress, double cpuAtFirst, double cpuAtDone) {
    }

    static Fill followFill(Jedis jedis, AppProcess app, String stream, String deadLetters, long expected, long stallSeconds) {
        return followFill(jedis, app, stream, deadLetters, expected, stallSeconds, length -> {
        });
    }

    /**
     * Follows the stream plus its dead-letter stream until they hold {@code expected} entries, the application
     * ends, or nothing arrived for {@code stallSeconds}; {@code onLength} sees every length read.
     */
    static Fill followFill(Jedis jedis, AppProcess app, String stream, String deadLetters, long expected, long stallSeconds,
            LongConsumer onLength) {
        long first = 0;
        long seen = 0;
        double cpuAtFirst = 0;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() - lastProgress < stallSeconds * 1_000_000_000L && app.isAlive()) {
            long length = jedis.xlen(stream) + jedis.xlen(deadLetters);
            long now = System.nanoTime();
            if (first == 0 && length > 0) {
                first = now;
                cpuAtFirst = app.cpuSeconds();
            }
            if (length != seen) {
                seen = length;
                lastProgress = now;
            }
            onLength.accept(length);
            if (length >= expected) {
                return new Fill(first, now, lastProgress, cpuAtFirst, app.cpuSeconds());
            }
            sleep(20);
        }
        return new Fill(first, 0, lastProgress, cpuAtFirst, 0);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The JVM options that start the application from the ahead-of-time cache bench/run.sh made (with
     * {@code scripts/run.sh train}, as the Docker image does), as scripts/run.sh passes them; none without a cache.
     */
    static List<String> aotOptions() {
        String cache = System.getProperty("bench.aotCache", "");
        if (cache.isEmpty() || !Files.isRegularFile(Path.of(cache))) {
            return List.of();
        }
        // as scripts/run.sh starts the application (scripts/jvm.options)
        return JvmOptions.fromAotCache(Path.of(cache));
    }

    // ------------------------------------------------------------------ servers

    static TestServers servers() {
        return TestServers.local();
    }

    /** CPU seconds the Redis server has used so far (its pid file is in the servers' env file); -1 if unknown. */
    static double redisCpuSeconds(TestServers servers) {
        try {
            return ProcessStats.cpuSeconds(Long.parseLong(Files.readString(Path.of(servers.get("REDIS_PID_FILE"))).trim()));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Runs one statement with the given parameter rows as a JDBC batch. */
    static void batch(Connection db, String sql, List<Object[]> rows) throws SQLException {
        try (PreparedStatement statement = db.prepareStatement(sql)) {
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    statement.setObject(i + 1, row[i]);
                }
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Makes sure products with ids first..first+count-1 exist (committed before any pipeline of the run starts). */
    static void ensureProducts(TestServers servers, int first, int count) throws SQLException {
        try (Connection db = servers.admin()) {
            List<Object[]> rows = new ArrayList<>();
            for (int id = first; id < first + count; id++) {
                rows.add(new Object[] { id, "bench product " + id, id % 50 });
                if (rows.size() == 1000) {
                    batch(db, "INSERT IGNORE INTO products (id, name, category_id, price) VALUES (?, ?, ?, 1)", rows);
                    rows.clear();
                }
            }
            if (!rows.isEmpty()) {
                batch(db, "INSERT IGNORE INTO products (id, name, category_id, price) VALUES (?, ?, ?, 1)", rows);
            }
        }
    }

    // ------------------------------------------------------------------ the packaged application

    /**
     * {@code java <jvmOptions> -D... -jar cache-invalidation.jar <role>} in {@link #APP_DIR}: its output in
     * {@code <name>.log} of the run directory (the worker's line per event there only, not in memory), its HTTP
     * endpoints on ports of their own, BENCH_APP_OPTS after the figure's options so they win, and a flight recording
     * in the run directory with {@code --jfr}.
     */
    static AppProcess app(String name, String role, List<String> jvmOptions, Map<String, String> properties,
            TestServers servers) throws IOException {
        return app(name, role, List.of(), jvmOptions, properties, servers);
    }

    /** The same with arguments after the role ({@code replay --since ...}). */
    static AppProcess app(String name, String role, List<String> arguments, List<String> jvmOptions,
            Map<String, String> properties, TestServers servers) throws IOException {
        AppProcess.Launch launch = AppProcess.ofJar(role).arguments(arguments.toArray(String[]::new)).name(name).jar(JAR).workDir(APP_DIR).jvmOptions(jvmOptions)
                .jvmOptions(experimentOptions()).properties(properties)
                .property("camel.server.port", Integer.toString(AppProcess.freePort()))
                .property("camel.management.port", Integer.toString(AppProcess.freePort()))
                .env(Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri()))
                .logFile(runDir().resolve(name + ".log")).notKept("Invalidated ");
        if (Boolean.getBoolean("bench.jfr")) {
            launch.flightRecording(runDir().resolve(name + ".jfr"));
        }
        return launch.start();
    }

    /** Any other process (a reference implementation), its output in {@code <name>.log} of the run directory. */
    static AppProcess process(String name, List<String> command, Map<String, String> env, Path workDir) throws IOException {
        return AppProcess.of(command).name(name).env(env).workDir(workDir).logFile(runDir().resolve(name + ".log")).start();
    }

    /** Extra JVM options for experiments (bench/run.sh: BENCH_APP_OPTS). */
    private static List<String> experimentOptions() {
        return Arrays.stream(System.getProperty("bench.appOptions", "").trim().split("\\s+")).filter(o -> !o.isEmpty())
                .toList();
    }

    /** The largest classes of a live-object histogram (a full GC) of the process, as "instances class MB", joined. */
    static String heapHistogram(AppProcess app, int limit) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(app.pid()), "GC.class_histogram").redirectErrorStream(true).start();
            List<String> lines = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            Files.write(runDir().resolve(app.name() + "-histogram.txt"), lines);
            long total = 0;
            List<String> top = new ArrayList<>();
            for (String line : lines) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && f[0].endsWith(":")) {
                    if (top.size() < limit) {
                        top.add(String.format(Locale.ROOT, "%s %.1f MB", f[3], Long.parseLong(f[2]) / 1e6));
                    }
                } else if (f.length >= 3 && f[0].equals("Total")) {
                    total = Long.parseLong(f[2]);
                }
            }
            return String.format(Locale.ROOT, "live %.1f MB: %s", total / 1e6, String.join(", ", top));
        } catch (IOException | RuntimeException e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    /** Percentile (0..100) of sorted values, nearest rank. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static long[] sorted(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }
}
