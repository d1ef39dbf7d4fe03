package dev.cacheinvalidation.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process of ours, the packaged jar ({@link #ofJar}) or any other command ({@link #of}, a Node worker say), its
 * output read line by line with the arrival time of each line, and what /proc says about it (CPU seconds, peak
 * RSS). The one launcher of the packaged application for integration tests, the fault harness and the benchmarks.
 */
public final class AppProcess implements AutoCloseable {

    /** The packaged application, as {@code ./mvnw package} builds it. */
    public static final Path JAR = Path.of("target/cache-invalidation.jar");
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Set<String> INHERITED = Set.of("PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ",
            "TMPDIR", "JAVA_HOME", "XDG_CACHE_HOME");

    /** One output line and when it arrived ({@link System#nanoTime()}). */
    public record Line(long nanos, String text) {
    }

    private final String name;
    private final long startNanos;
    private final Process process;
    private final Path logFile;
    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final AtomicBoolean outOfMemory = new AtomicBoolean();
    private final Thread reader;
    private volatile long peakRssKb;

    private AppProcess(Launch launch, List<String> command) throws IOException {
        ProcessBuilder builder = sealed(new ProcessBuilder(command)).directory(launch.workDir.toFile())
                .redirectErrorStream(true);
        builder.environment().putAll(launch.env);
        this.logFile = launch.logFile;
        this.startNanos = System.nanoTime();
        this.process = builder.start();
        this.name = launch.name != null ? launch.name : Long.toString(process.pid());
        String notKept = launch.notKept;
        this.reader = new Thread(() -> read(notKept), "output-of-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * The builder with only what a process needs to run Java, Node or a shell kept from this JVM's environment (and
     * the {@code SERVERS_*} settings of {@code scripts/servers.sh}): nothing that configures the application, such as
     * MYSQL_DSN, REDIS_URI, CACHE_URI, their {@code _FILE} forms or a key's override variable, reaches it, so every
     * server a test's process uses is one the test names.
     */
    public static ProcessBuilder sealed(ProcessBuilder builder) {
        builder.environment().keySet().removeIf(name -> !INHERITED.contains(name) && !name.startsWith("SERVERS_"));
        return builder;
    }

    /** {@code java <options> -D... -jar target/cache-invalidation.jar <role>}, from the project directory. */
    public static Launch ofJar(String role) {
        return new Launch(null, role);
    }

    /** Any command, from the project directory unless {@link Launch#workDir} says otherwise. */
    public static Launch of(List<String> command) {
        return new Launch(List.copyOf(command), null);
    }

    /** {@code command} in {@code workDir} with {@code env} added to the environment. */
    public static AppProcess start(List<String> command, Map<String, String> env, Path workDir) throws IOException {
        return of(command).env(env).workDir(workDir).start();
    }

    /** {@code java [-Dkey=value...] -jar target/cache-invalidation.jar <role>} from the project directory. */
    public static AppProcess jar(String role, Map<String, String> systemProperties, Map<String, String> env) throws IOException {
        return jar(List.of(), role, systemProperties, env);
    }

    /** The same with JVM options first ({@code @target/graal.args}, say). */
    public static AppProcess jar(List<String> jvmOptions, String role, Map<String, String> systemProperties,
            Map<String, String> env) throws IOException {
        return ofJar(role).jvmOptions(jvmOptions).properties(systemProperties).env(env).start();
    }

    /** A free TCP port, for the HTTP endpoint of a process that needs one. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** How to start one process; {@link #start()} may be called again for the next incarnation. */
    public static final class Launch {
        private final List<String> command;
        private final String role;
        private final List<String> jvmOptions = new ArrayList<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> arguments = new ArrayList<>();
        private Path jar = JAR;
        private Path workDir = Path.of("").toAbsolutePath();
        private Path logFile;
        private String name;
        private String notKept;

        private Launch(List<String> command, String role) {
            this.command = command;
            this.role = role;
        }

        /** Arguments after the role ({@code --since ...}). */
        public Launch arguments(String... more) {
            arguments.addAll(List.of(more));
            return this;
        }

        /** JVM options, in this order, before the system properties. */
        public Launch jvmOptions(List<String> options) {
            jvmOptions.addAll(options);
            return this;
        }

        /** {@code -Dkey=value}; without any {@code camel.management.*} the HTTP endpoint is off. */
        public Launch properties(Map<String, String> systemProperties) {
            properties.putAll(systemProperties);
            return this;
        }

        public Launch property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        public Launch env(Map<String, String> variables) {
            env.putAll(variables);
            return this;
        }

        /** The jar to run (a copy of the build, say); relative paths are the working directory's. */
        public Launch jar(Path file) {
            jar = file;
            return this;
        }

        /** Where the process runs (routes/ and application.properties are read from there). */
        public Launch workDir(Path dir) {
            workDir = dir;
            return this;
        }

        /** Every output line also written to this file as it arrives (the file of a later start replaces it). */
        public Launch logFile(Path file) {
            logFile = file;
            return this;
        }

        /** A flight recording of the whole run, written when the process ends. */
        public Launch flightRecording(Path file) {
            jvmOptions.add("-XX:StartFlightRecording=settings=profile,dumponexit=true,filename=" + file.toAbsolutePath());
            return this;
        }

        /** The name in messages and of the output reader thread (the pid unless given). */
        public Launch name(String processName) {
            name = processName;
            return this;
        }

        /** Lines containing this go to the log file only, not to memory (the worker's line per event, say). */
        public Launch notKept(String fragment) {
            notKept = fragment;
            return this;
        }

        public AppProcess start() throws IOException {
            return new AppProcess(this, command != null ? command : jarCommand());
        }

        private List<String> jarCommand() {
            List<String> line = new ArrayList<>();
            line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            // as everywhere the application is started (scripts/jvm.options)
            line.addAll(JvmOptions.standard());
            line.addAll(jvmOptions);
            if (!properties.containsKey("camel.management.enabled") && !properties.containsKey("camel.management.port")) {
                // several of our processes run side by side: no fixed HTTP port
                line.add("-Dcamel.management.enabled=false");
            }
            properties.forEach((k, v) -> line.add("-D" + k + "=" + v));
            line.addAll(List.of("-jar", jar.toString(), role));
            line.addAll(arguments);
            return line;
        }
    }

    private void read(String notKept) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer log = logFile != null ? Files.newBufferedWriter(logFile) : Writer.nullWriter()) {
            String line;
            while ((line = in.readLine()) != null) {
                long now = System.nanoTime();
                log.write(line);
                log.write('\n');
                if (line.contains("OutOfMemoryError")) {
                    outOfMemory.set(true);
                }
                if (notKept == null || !line.contains(notKept)) {
                    lines.add(new Line(now, line));
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /**
     * Waits for a line containing the fragment and returns when it arrived (nanoTime); fails at once when the
     * process ends without it.
     */
    public long awaitLine(String fragment, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            boolean ended = !process.isAlive();
            if (ended) {
                joinReader();
            }
            for (Line line : lines) {
                if (line.text().contains(fragment)) {
                    return line.nanos();
                }
            }
            if (ended) {
                throw new AssertionError(name + " exited (" + process.exitValue() + ") before a line containing '"
                        + fragment + "'" + where() + "; last lines:\n" + tail(30));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + " wrote no line containing '" + fragment + "' within " + atMost + where()
                        + "; last lines:\n" + tail(30));
            }
            sleep(5);
        }
    }

    private String where() {
        return logFile != null ? " (see " + logFile + ")" : "";
    }

    public boolean hasLine(String fragment) {
        return lines.stream().anyMatch(line -> line.text().contains(fragment));
    }

    /** The kept output lines containing the fragment ("" for all). */
    public List<String> lines(String fragment) {
        return lines.stream().map(Line::text).filter(text -> text.contains(fragment)).toList();
    }

    /** When each kept line containing the fragment arrived ({@link System#nanoTime()}), in order. */
    public List<Long> arrivals(String fragment) {
        return lines.stream().filter(line -> line.text().contains(fragment)).map(Line::nanos).toList();
    }

    public String output() {
        return String.join("\n", lines(""));
    }

    /** The last lines of the output, indented, for a failure message. */
    public String tail(int count) {
        List<String> all = lines("");
        StringBuilder tail = new StringBuilder();
        for (String line : all.subList(Math.max(0, all.size() - count), all.size())) {
            tail.append("    ").append(line).append('\n');
        }
        return tail.toString();
    }

    /** Waits for the exit and for the rest of the output; fails when the process is still running then. */
    public int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + atMost + "; output:\n" + output());
        }
        joinReader();
        return process.exitValue();
    }

    public String name() {
        return name;
    }

    /** When the process was started ({@link System#nanoTime()}). */
    public long startNanos() {
        return startNanos;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public boolean ranOutOfMemory() {
        return outOfMemory.get();
    }

    /** CPU time (user + system) the process has used so far, in seconds; -1 when unknown. */
    public double cpuSeconds() {
        return ProcessStats.cpuSeconds(process.pid());
    }

    /** CPU seconds per native thread name (digits folded), the largest first. */
    public String cpuByThread(int limit) {
        return ProcessStats.cpuByThread(process.pid(), limit);
    }

    /** Peak resident set size (VmHWM) in MB, the last reading once the process is gone. */
    public long peakRssMb() {
        long kb = ProcessStats.peakRssKb(process.pid());
        if (kb > 0) {
            peakRssKb = kb;
        }
        return peakRssKb / 1024;
    }

    /** "no OOM, peak RSS N MB" (or what went wrong). */
    public String memorySummary() {
        long rss = peakRssMb();
        String state = ranOutOfMemory() ? "OutOfMemoryError" : isAlive() ? "no OOM" : "exited early (" + process.exitValue() + ")";
        return state + ", peak RSS " + rss + " MB";
    }

    /** SIGKILL, no chance to clean up; waits for the end. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGKILL without waiting: for a caller that is being stopped itself. */
    public void killNow() {
        process.destroyForcibly();
    }

    /** SIGTERM, as a container runtime stops a process; SIGKILL after a minute. */
    @Override
    public void close() throws InterruptedException {
        peakRssMb();
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        joinReader();
    }

    private void joinReader() {
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
