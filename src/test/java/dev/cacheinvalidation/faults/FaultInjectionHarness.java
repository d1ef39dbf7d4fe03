package dev.cacheinvalidation.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Proves, against real servers and the packaged application, that faults lose no invalidation.
 * <p>
 * Each scenario works in an id range and on a stream of its own: it plans a seeded workload ({@link Workload}),
 * inserts the rows the workload starts from, sets the primary cache key of every row the workload will touch and of
 * control rows it never touches, starts the pipeline ({@code java -jar target/cache-invalidation.jar pipeline}, own
 * data directory, own {@code cdc.name} and server id) and, except in (d), one worker; then it applies the workload
 * while it injects the scenario's fault:
 * <ul>
 * <li>{@code a}: the pipeline is killed with SIGKILL {@code kills} times (default 5) at random points of the
 * workload and started again at once;</li>
 * <li>{@code b}: Redis is shut down (its append-only file kept) and started again on the same port and data
 * directory after {@code redisGapMs} (10 s), mid-load;</li>
 * <li>{@code c}: MariaDB is restarted ({@code scripts/servers.sh restart-mariadb}) mid-load;</li>
 * <li>{@code d}: the stream is loaded first (no worker), then two workers drain it and one of them is killed with
 * SIGKILL mid-drain; the other must take its pending entries over. Here every row changes once, so that each
 * entry has a key of its own and one lost entry leaves a key behind.</li>
 * </ul>
 * Afterwards it changes the marker row, waits until that change is in the stream and the consumer group has no lag
 * and nothing pending, and checks every key and every change. Time to recover: from the end of the fault (process
 * started again, server answering again; in (d) the kill) until every change committed before that moment is in the
 * stream and every key of those rows is deleted (in (d) also: nothing pending in the group).
 */
public final class FaultInjectionHarness {

    public enum Scenario {
        PIPELINE_KILL("a", "pipeline-kill"),
        REDIS_DOWN("b", "redis-down"),
        MARIADB_RESTART("c", "mariadb-restart"),
        WORKER_KILL("d", "worker-kill");

        final String code;
        final String name;

        Scenario(String code, String name) {
            this.code = code;
            this.name = name;
        }

        public static Scenario parse(String text) {
            String t = text.toLowerCase(Locale.ROOT);
            for (Scenario scenario : values()) {
                if (t.equals(scenario.code) || t.startsWith(scenario.code + "-") || t.equals(scenario.name)) {
                    return scenario;
                }
            }
            throw new IllegalArgumentException("unknown scenario '" + text + "': use a, b, c or d");
        }
    }

    /** Settings of a run; the defaults are those of the full run. */
    public static final class Options {
        int changes = 50_000;
        final Map<Scenario, Integer> changesOf = new EnumMap<>(Scenario.class);
        long seed = 20_240_601L;
        int kills = 5;
        long redisGapMs = 10_000;
        int maxTransactionSize = 200;
        int controlRowsPerTable = 50;
        int seedRowsPerTable = -1;
        long claimIdleMs = 3_000;
        Duration timeout = Duration.ofMinutes(10);
        Path logDir;
        boolean keep;
        final Map<String, String> appProperties = new LinkedHashMap<>();

        public Options changes(int changes) {
            this.changes = changes;
            return this;
        }

        public Options changes(Scenario scenario, int changes) {
            changesOf.put(scenario, changes);
            return this;
        }

        public Options seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Options kills(int kills) {
            this.kills = kills;
            return this;
        }

        public Options redisGapMs(long redisGapMs) {
            this.redisGapMs = redisGapMs;
            return this;
        }

        public Options claimIdleMs(long claimIdleMs) {
            this.claimIdleMs = claimIdleMs;
            return this;
        }

        public Options timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Writes the output of every application process there (default: nowhere). */
        public Options logDir(Path logDir) {
            this.logDir = logDir;
            return this;
        }

        /** Keeps the scenario's stream and keys in Redis afterwards, for a look. */
        public Options keep(boolean keep) {
            this.keep = keep;
            return this;
        }

        /** A system property for every application process (e.g. {@code script.timeoutMs}). */
        public Options set(String key, String value) {
            appProperties.put(key, value);
            return this;
        }

        int changesOf(Scenario scenario) {
            return changesOf.getOrDefault(scenario, changes);
        }

        int seedRowsPerTable(int changes) {
            return seedRowsPerTable > 0 ? seedRowsPerTable : Math.max(50, changes / 25);
        }
    }

    static final String GROUP = "cache-workers";
    /** A recovery that shows no progress (no new stream entry) for this long is given up. */
    static final long STALL_MS = 180_000;

    final TestServers servers;
    final Options options;
    final List<ManagedProcess> live = new CopyOnWriteArrayList<>();
    final List<Path> dataDirs = new CopyOnWriteArrayList<>();

    public FaultInjectionHarness(TestServers servers, Options options) {
        this.servers = servers;
        this.options = options;
    }

    public static String label(Scenario scenario, Options options) {
        return switch (scenario) {
            case PIPELINE_KILL -> "a-pipeline-kill9x" + options.kills;
            case REDIS_DOWN -> "b-redis-down" + Math.round(options.redisGapMs / 1000.0) + "s";
            case MARIADB_RESTART -> "c-mariadb-restart";
            case WORKER_KILL -> "d-worker-kill9-mid-drain";
        };
    }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) {
        Options options = new Options();
        List<Scenario> scenarios = new ArrayList<>();
        try {
            for (String arg : args) {
                if (arg.equals("-h") || arg.equals("--help")) {
                    System.err.println(usage());
                    System.exit(0);
                } else if (arg.startsWith("--")) {
                    option(options, arg);
                } else {
                    scenarios.add(Scenario.parse(arg));
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("fault-injection: " + e.getMessage() + "\n" + usage());
            System.exit(2);
        }
        if (scenarios.isEmpty()) {
            scenarios.addAll(List.of(Scenario.values()));
        }
        FaultInjectionHarness harness = new FaultInjectionHarness(TestServers.local(), options);
        Runtime.getRuntime().addShutdownHook(new Thread(harness::destroyProcesses, "fault-injection-shutdown"));
        boolean passed = true;
        for (Scenario scenario : scenarios) {
            try {
                ScenarioResult result = harness.run(scenario);
                System.out.println(result.line());
                passed &= result.passed();
            } catch (Exception e) {
                System.out.println("scenario=" + label(scenario, options) + " result=ERROR error="
                        + String.valueOf(e.getMessage()).replaceAll("\\s+", "_"));
                e.printStackTrace();
                passed = false;
            }
            System.out.flush();
        }
        System.exit(passed ? 0 : 1);
    }

    private static void option(Options options, String arg) {
        String name = arg.contains("=") ? arg.substring(2, arg.indexOf('=')) : arg.substring(2);
        String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : "";
        try {
            switch (name) {
                case "changes" -> options.changes(Integer.parseInt(value));
                case "changes-a", "changes-b", "changes-c", "changes-d" ->
                        options.changes(Scenario.parse(name.substring(8)), Integer.parseInt(value));
                case "kills" -> options.kills(Integer.parseInt(value));
                case "seed" -> options.seed(Long.parseLong(value));
                case "redis-gap-ms" -> options.redisGapMs(Long.parseLong(value));
                case "claim-idle-ms" -> options.claimIdleMs(Long.parseLong(value));
                case "max-transaction" -> options.maxTransactionSize = Integer.parseInt(value);
                case "timeout-s" -> options.timeout(Duration.ofSeconds(Long.parseLong(value)));
                case "log-dir" -> options.logDir(Path.of(value));
                case "keep" -> options.keep(true);
                case "set" -> {
                    if (!value.contains("=")) {
                        throw new IllegalArgumentException("--set needs key=value");
                    }
                    options.set(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + arg + " needs a number");
        }
    }

    static String usage() {
        return """
                usage: FaultInjectionHarness [a|b|c|d ...] [options]
                  a  kill -9 the pipeline --kills times during the workload, restarting it each time
                  b  Redis down for --redis-gap-ms mid-load (shut down, AOF kept, started again)
                  c  MariaDB restarted mid-load
                  d  stream loaded first, then one of two workers killed with kill -9 mid-drain
                options: --changes=N (50000) --changes-a=N .. --changes-d=N --kills=N (5) --seed=N
                         --redis-gap-ms=N (10000) --claim-idle-ms=N (3000) --max-transaction=N (200)
                         --timeout-s=N (600) --log-dir=DIR --keep
                         --set=key=value (a -D property for every application process; repeatable)
                servers: system property servers.env (default target/servers/env) or MYSQL_DSN, MYSQL_ADMIN_DSN,
                         REDIS_URI; run from the project directory (target/cache-invalidation.jar, routes/).""";
    }

    /** Kills every application process still running (for a harness that is itself being stopped). */
    public void destroyProcesses() {
        for (Path dir : dataDirs) {
            try {
                delete(dir);
            } catch (IOException | RuntimeException e) {
                log("cannot delete " + dir + ": " + e.getMessage());
            }
        }
        for (ManagedProcess process : live) {
            process.destroyNow();
            writeLogs(process);
        }
    }

    /** Writes the process's output to the log directory, if there is one. */
    void writeLogs(ManagedProcess process) {
        if (options.logDir != null) {
            try {
                process.writeLogs(options.logDir);
            } catch (IOException e) {
                log("cannot write logs: " + e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ one scenario

    public ScenarioResult run(Scenario scenario) throws Exception {
        long started = System.nanoTime();
        int changes = options.changesOf(scenario);
        Random random = new Random(options.seed * 31 + scenario.ordinal());
        try (ScenarioRun run = switch (scenario) {
            case PIPELINE_KILL -> new PipelineKillRun(this, changes, random);
            case REDIS_DOWN -> new RedisDownRun(this, changes, random);
            case MARIADB_RESTART -> new MariadbRestartRun(this, changes, random);
            case WORKER_KILL -> new WorkerKillRun(this, changes, random);
        }) {
            run.setup();
            run.injectFault();
            return run.check(System.nanoTime() - started);
        }
    }


    // ------------------------------------------------------------------ helpers

    /** First id of a fresh range: above every id of the four tables, at least 1,000,000, a multiple of 100,000. */
    long nextBase() throws SQLException {
        try (Connection db = servers.admin(); Statement statement = db.createStatement();
                ResultSet max = statement.executeQuery("SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM users),"
                        + " (SELECT COALESCE(MAX(id), 0) FROM products), (SELECT COALESCE(MAX(id), 0) FROM orders),"
                        + " (SELECT COALESCE(MAX(id), 0) FROM inventory))")) {
            max.next();
            long highest = max.getLong(1);
            return Math.max(1_000_000, (highest / 100_000 + 1) * 100_000);
        }
    }

    /** A connection with full rights, trying for up to five minutes while the server is away. */
    Connection connect() throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            try {
                return servers.admin();
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    /** Runs {@code scripts/servers.sh <command>} on the servers of the env file; its output goes to stderr. */
    void servers(String command) throws IOException, InterruptedException {
        Path envFile = Path.of(System.getProperty("servers.env", "target/servers/env")).toAbsolutePath();
        String dir = Files.exists(envFile) ? envFile.getParent().toString() : System.getenv("SERVERS_DIR");
        if (dir == null) {
            throw new IllegalStateException("scenarios b and c restart the servers of scripts/servers.sh: point the"
                    + " system property servers.env at its env file");
        }
        ProcessBuilder builder = new ProcessBuilder("bash", "scripts/servers.sh", command).redirectErrorStream(true);
        builder.environment().put("SERVERS_DIR", dir);
        Process process = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                System.err.println(line);
            }
        }
        if (!process.waitFor(300, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("scripts/servers.sh " + command + " failed");
        }
    }

    static void delete(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    static void setAll(Jedis jedis, Collection<String> keys) {
        Pipeline pipeline = jedis.pipelined();
        int n = 0;
        for (String key : keys) {
            pipeline.set(key, "cached");
            if (++n % 5000 == 0) {
                pipeline.sync();
            }
        }
        pipeline.sync();
    }

    static long countExisting(Jedis jedis, Collection<String> keys) {
        List<String> list = new ArrayList<>(keys);
        long count = 0;
        for (int from = 0; from < list.size(); from += 5000) {
            count += jedis.exists(list.subList(from, Math.min(list.size(), from + 5000)).toArray(String[]::new));
        }
        return count;
    }

    static Map<String, Boolean> exists(Jedis jedis, Collection<String> keys) {
        Map<String, Response<Boolean>> responses = new LinkedHashMap<>();
        Pipeline pipeline = jedis.pipelined();
        for (String key : keys) {
            responses.put(key, pipeline.exists(key));
        }
        pipeline.sync();
        Map<String, Boolean> result = new LinkedHashMap<>();
        responses.forEach((key, response) -> result.put(key, response.get()));
        return result;
    }

    static void log(String message) {
        System.err.println("[faults] " + message);
    }
}
