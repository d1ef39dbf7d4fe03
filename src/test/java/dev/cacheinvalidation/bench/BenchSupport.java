package dev.cacheinvalidation.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * What the figures share: the servers of {@code bench/run.sh} (via {@code -Dservers.env}), launching the packaged
 * application with timestamps on its output lines, command-line flags, and the result rows that
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

    static Fill followFill(Jedis jedis, App app, String stream, String deadLetters, long expected, long stallSeconds) {
        return followFill(jedis, app, stream, deadLetters, expected, stallSeconds, length -> {
        });
    }

    /**
     * Follows the stream plus its dead-letter stream until they hold {@code expected} entries, the application
     * ends, or nothing arrived for {@code stallSeconds}; {@code onLength} sees every length read.
     */
    static Fill followFill(Jedis jedis, App app, String stream, String deadLetters, long expected, long stallSeconds,
            LongConsumer onLength) {
        long first = 0;
        long seen = 0;
        double cpuAtFirst = 0;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() - lastProgress < stallSeconds * 1_000_000_000L && app.alive()) {
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
        return List.of("-XX:AOTCache=" + cache, "-Xlog:aot*=off", "-Xlog:cds*=off");
    }

    // ------------------------------------------------------------------ servers

    static TestServers servers() {
        return TestServers.local();
    }

    /** CPU seconds the Redis server has used so far (its pid file is in the servers' env file); -1 if unknown. */
    static double redisCpuSeconds(TestServers servers) {
        try {
            String pid = Files.readString(Path.of(servers.get("REDIS_PID_FILE"))).trim();
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
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

    /** The consumer group as XINFO GROUPS shows it: entries read, pending and lag (null before the group exists). */
    record GroupState(long entriesRead, long pending, long lag) {
        boolean drained() {
            return pending == 0 && lag == 0;
        }
    }

    static GroupState group(Jedis jedis, String stream, String group) {
        if (!jedis.exists(stream)) {
            return null;
        }
        for (StreamGroupInfo info : jedis.xinfoGroups(stream)) {
            if (info.getName().equals(group)) {
                Object read = info.getGroupInfo().get("entries-read");
                Object lag = info.getGroupInfo().get("lag");
                return new GroupState(read instanceof Long r ? r : 0, info.getPending(), lag instanceof Long l ? l : -1);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ the packaged application

    /**
     * {@code java <jvmOptions> -D... -jar cache-invalidation.jar <role>} in {@link #APP_DIR}, with its
     * output written to a log file in the run directory and the arrival time (nanoTime) of each line noted.
     * Only lines other than the worker's per-event line are kept in memory.
     */
    static final class App implements AutoCloseable {
        final String name;
        final long startNanos;
        private final Process process;
        private final List<TimedLine> lines = new CopyOnWriteArrayList<>();
        private final AtomicBoolean outOfMemory = new AtomicBoolean();
        private final Thread reader;
        private volatile long peakRssKb;

        record TimedLine(long nanos, String text) {
        }

        private App(String name, List<String> command, Map<String, String> env, Path workDir) throws IOException {
            this.name = name;
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
            builder.environment().putAll(env);
            Path log = runDir().resolve(name + ".log");
            this.startNanos = System.nanoTime();
            this.process = builder.start();
            this.reader = new Thread(() -> read(log), "output-of-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        /** Starts the jar; jfr adds a flight recording to the run directory. */
        static App start(String name, String role, List<String> jvmOptions, Map<String, String> properties,
                TestServers servers) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // as everywhere the application is started: an OutOfMemoryError ends the process
            command.add("-XX:+ExitOnOutOfMemoryError");
            command.addAll(jvmOptions);
            // extra options for experiments (bench/run.sh: BENCH_APP_OPTS), after the figure's own so they win
            for (String option : System.getProperty("bench.appOptions", "").trim().split("\\s+")) {
                if (!option.isEmpty()) {
                    command.add(option);
                }
            }
            if (Boolean.getBoolean("bench.jfr")) {
                command.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
                        + runDir().resolve(name + ".jfr").toAbsolutePath());
            }
            properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
            // the HTTP servers (health, metrics) of each process on ports of their own
            command.add("-Dcamel.server.port=" + freePort());
            command.add("-Dcamel.management.port=" + freePort());
            command.addAll(List.of("-jar", JAR.toString(), role));
            return new App(name, command, Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri()),
                    APP_DIR);
        }

        /** Any other process (a reference implementation), followed the same way. */
        static App process(String name, List<String> command, Map<String, String> env, Path workDir) throws IOException {
            return new App(name, command, env, workDir);
        }

        private static int freePort() throws IOException {
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }

        private void read(Path log) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                    BufferedWriter out = Files.newBufferedWriter(log)) {
                String line;
                while ((line = in.readLine()) != null) {
                    long now = System.nanoTime();
                    out.write(line);
                    out.newLine();
                    if (line.contains("OutOfMemoryError")) {
                        outOfMemory.set(true);
                    }
                    if (!line.contains("Invalidated ")) {
                        lines.add(new TimedLine(now, line));
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        /** Waits for a line containing the fragment and returns when it arrived (nanoTime). */
        long awaitLine(String fragment, long timeoutSeconds) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            while (System.nanoTime() < deadline) {
                for (TimedLine line : lines) {
                    if (line.text().contains(fragment)) {
                        return line.nanos();
                    }
                }
                if (!process.isAlive()) {
                    sleep(200);
                    throw new IllegalStateException(name + " exited (" + process.exitValue() + ") before logging '"
                            + fragment + "'; see " + name + ".log in the run directory");
                }
                sleep(5);
            }
            throw new IllegalStateException(name + " did not log '" + fragment + "' within " + timeoutSeconds + " s");
        }

        /** The kept output lines containing the fragment. */
        List<String> lines(String fragment) {
            return lines.stream().map(TimedLine::text).filter(text -> text.contains(fragment)).toList();
        }

        long pid() {
            return process.pid();
        }

        boolean alive() {
            return process.isAlive();
        }

        /** CPU time (user + system) the process has used so far, in seconds; -1 when unknown. */
        double cpuSeconds() {
            try {
                String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields 14 and 15 of stat (utime, stime), counted from the state field (3)
                return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        /**
         * CPU seconds per thread so far, grouped by the (15-character) native thread name with digits folded, the
         * largest first: shows the JIT compiler and GC threads too, which a Java profiler does not sample.
         */
        String cpuByThread(int limit) {
            Map<String, Double> byName = new java.util.HashMap<>();
            try (var tasks = Files.list(Path.of("/proc/" + process.pid() + "/task"))) {
                for (Path task : (Iterable<Path>) tasks::iterator) {
                    try {
                        String stat = Files.readString(task.resolve("stat"));
                        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
                        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        byName.merge(name, (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0, Double::sum);
                    } catch (IOException | RuntimeException e) {
                        // thread ended meanwhile
                    }
                }
            } catch (IOException | RuntimeException e) {
                return "?";
            }
            return byName.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(limit)
                    .map(e -> String.format(Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue()))
                    .collect(java.util.stream.Collectors.joining(", "));
        }

        /** The largest classes of a live-object histogram (a full GC), as "instances class MB" lines, joined. */
        String heapHistogram(int limit) {
            try {
                Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                        Long.toString(process.pid()), "GC.class_histogram").redirectErrorStream(true).start();
                List<String> lines = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
                Files.write(runDir().resolve(name + "-histogram.txt"), lines);
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

        /** Peak resident set size so far (VmHWM), in MB; read before the process ends. */
        long peakRssMb() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        peakRssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone already: keep the last reading
            }
            return peakRssKb / 1024;
        }

        boolean ranOutOfMemory() {
            return outOfMemory.get();
        }

        /** "no OOM, peak RSS N MB" (or what went wrong), for the memory row. */
        String memorySummary() {
            long rss = peakRssMb();
            String state = ranOutOfMemory() ? "OutOfMemoryError" : alive() ? "no OOM" : "exited early (" + process.exitValue() + ")";
            return state + ", peak RSS " + rss + " MB";
        }

        /** SIGTERM and wait, as a container runtime stops it. */
        @Override
        public void close() {
            peakRssMb();
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
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
