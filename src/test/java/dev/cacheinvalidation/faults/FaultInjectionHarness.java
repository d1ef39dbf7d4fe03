package dev.cacheinvalidation.faults;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import org.awaitility.core.ConditionTimeoutException;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.params.ShutdownParams;
import redis.clients.jedis.resps.StreamConsumerInfo;
import redis.clients.jedis.resps.StreamGroupInfo;

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

    private final TestServers servers;
    private final Options options;
    private final List<ManagedProcess> live = new CopyOnWriteArrayList<>();
    private final List<Path> dataDirs = new CopyOnWriteArrayList<>();

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
            if (options.logDir != null) {
                try {
                    process.writeLogs(options.logDir);
                } catch (IOException e) {
                    log("cannot write logs: " + e.getMessage());
                }
            }
        }
    }

    // ------------------------------------------------------------------ one scenario

    public ScenarioResult run(Scenario scenario) throws Exception {
        long started = System.nanoTime();
        int changes = options.changesOf(scenario);
        Random random = new Random(options.seed * 31 + scenario.ordinal());
        try (Run run = new Run(scenario, changes, random)) {
            run.setup();
            switch (scenario) {
                case PIPELINE_KILL -> run.pipelineKills();
                case REDIS_DOWN -> run.redisDown();
                case MARIADB_RESTART -> run.mariadbRestart();
                case WORKER_KILL -> run.workerKill();
            }
            return run.check(System.nanoTime() - started);
        }
    }

    private final class Run implements AutoCloseable {
        final Scenario scenario;
        final String label;
        final int changes;
        final Random random;
        Workload workload;
        StreamAudit audit;
        String stream;
        String deadLetters;
        String cdcName;
        Path dataDir;
        ManagedProcess pipeline;
        final List<ManagedProcess> workers = new CopyOnWriteArrayList<>();
        Thread workloadThread;
        Thread supervisor;
        volatile boolean supervising = true;
        final List<Long> recoveries = new ArrayList<>();
        final Map<String, Object> extra = new LinkedHashMap<>();
        Set<String> presetKeys = Set.of();

        Run(Scenario scenario, int changes, Random random) {
            this.scenario = scenario;
            this.label = label(scenario, options);
            this.changes = changes;
            this.random = random;
        }

        void setup() throws Exception {
            long base = nextBase();
            // (d) tests the workers alone: every row changes once, so a lost entry leaves its own key behind
            boolean touchOnce = scenario == Scenario.WORKER_KILL;
            workload = Workload.plan(base, changes, random.nextLong(), options.maxTransactionSize,
                    options.controlRowsPerTable, touchOnce ? (int) Math.ceil(changes * 0.7 / 4 * 1.15) + 10
                            : options.seedRowsPerTable(changes), touchOnce);
            log(label + ": " + workload);
            try (Connection db = servers.admin()) {
                workload.seed(db);
            }
            Set<String> keys = new LinkedHashSet<>(workload.plannedKeys());
            keys.addAll(workload.controlKeys());
            presetKeys = keys;
            String tag = scenario.code + "-" + base;
            stream = "fault-injection:" + tag + ":invalidations";
            deadLetters = stream + ":dlq";
            cdcName = "fault-injection-" + tag;
            try (Jedis jedis = servers.redis()) {
                jedis.del(stream, deadLetters);
                setAll(jedis, keys);
            }
            log(label + ": " + keys.size() + " cache keys set (" + workload.controlKeys().size() + " control keys)");
            audit = new StreamAudit(servers, stream, deadLetters, workload.firstId(), workload.endId(), workload.markerId()).start();
            dataDir = Files.createTempDirectory("fault-injection-");
            dataDirs.add(dataDir);

            Map<String, String> props = common();
            props.put("cdc.name", cdcName);
            props.put("cdc.serverId", Integer.toString(100_000 + ThreadLocalRandom.current().nextInt(800_000)));
            props.put("cdc.dataDir", dataDir.toString());
            props.put("camel.main.name", cdcName);
            pipeline = new ManagedProcess(label + "-pipeline", "pipeline", props, env());
            live.add(pipeline);
            pipeline.start();
            ManagedProcess worker = scenario == Scenario.WORKER_KILL ? null : startWorker(1);
            awaitStreaming();
            if (worker != null) {
                awaitReading(worker);
            }
            supervisor = new Thread(this::supervise, "fault-injection-supervisor");
            supervisor.setDaemon(true);
            supervisor.start();
        }

        Map<String, String> common() {
            Map<String, String> props = new LinkedHashMap<>();
            props.put("redis.uri", servers.redisUri());
            props.put("stream.key", stream);
            // the pipeline's dead letters (script failures) and the worker's go to the scenario's own stream
            props.put("stream.deadLetterKey", deadLetters);
            props.putAll(options.appProperties);
            return props;
        }

        ManagedProcess startWorker(int n) throws IOException {
            Map<String, String> props = common();
            String name = cdcName + "-worker-" + n;
            props.put("worker.consumerName", name);
            props.put("worker.claimIdleMs", Long.toString(options.claimIdleMs));
            props.put("worker.blockMs", "1000");
            props.put("worker.deadLetterStream", deadLetters);
            props.put("camel.main.name", name);
            ManagedProcess worker = new ManagedProcess(label + "-worker-" + n, "worker", props, env());
            live.add(worker);
            workers.add(worker);
            worker.start();
            return worker;
        }

        /** Waits until the worker is a consumer of the group (it read the stream once), so faults hit it running. */
        void awaitReading(ManagedProcess worker) throws InterruptedException {
            String name = consumerName(worker);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                try (Jedis jedis = servers.redis()) {
                    if (jedis.exists(stream) && jedis.xinfoGroups(stream).stream().anyMatch(g -> g.getName().equals(GROUP))
                            && jedis.xinfoConsumers2(stream, GROUP).stream().anyMatch(c -> c.getName().equals(name))) {
                        return;
                    }
                } catch (RuntimeException e) {
                    // not yet
                }
                if (!worker.isAlive()) {
                    throw new IllegalStateException(worker.label() + " exited during startup");
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException(worker.label() + " did not read the stream within 180 s");
        }

        String consumerName(ManagedProcess worker) {
            return cdcName + "-worker-" + worker.label().substring(worker.label().lastIndexOf('-') + 1);
        }

        Map<String, String> env() {
            return Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri());
        }

        /** Changes the marker row until the pipeline shows it: only then are later changes surely read. */
        void awaitStreaming() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            for (int n = 1; System.nanoTime() < deadline; n++) {
                if (!pipeline.isAlive()) {
                    throw new IllegalStateException("the pipeline exited during startup:\n"
                            + pipeline.lines("").stream().skip(Math.max(0, pipeline.lines("").size() - 30))
                                    .reduce("", (a, b) -> a + "    " + b + "\n"));
                }
                String name = "start-" + n;
                if (n % 10 == 0) {
                    log(label + ": waiting for the pipeline to stream the binlog (" + (n * 3) + " s)");
                }
                mark(name);
                if (awaitMarker(name, Duration.ofSeconds(3))) {
                    return;
                }
            }
            throw new IllegalStateException("the pipeline did not stream the binlog within 180 s");
        }

        void mark(String name) throws Exception {
            try (Connection db = connect(); PreparedStatement update = db.prepareStatement(
                    "UPDATE users SET name = ? WHERE id = ?")) {
                update.setString(1, "marker-" + name);
                update.setLong(2, workload.markerId());
                update.executeUpdate();
            }
        }

        boolean awaitMarker(String name, Duration atMost) throws InterruptedException {
            long deadline = System.nanoTime() + atMost.toNanos();
            while (System.nanoTime() < deadline) {
                if (audit.markerSeen("marker-" + name)) {
                    return true;
                }
                Thread.sleep(20);
            }
            return audit.markerSeen("marker-" + name);
        }

        void supervise() {
            while (supervising) {
                try {
                    pipeline.restartIfExited();
                    for (ManagedProcess worker : workers) {
                        worker.restartIfExited();
                    }
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    log(label + ": cannot restart a process: " + e.getMessage());
                }
            }
        }

        void startWorkload() {
            workloadThread = new Thread(() -> workload.run(FaultInjectionHarness.this::connect), "fault-injection-workload");
            workloadThread.setDaemon(true);
            workloadThread.start();
        }

        /** Waits until at least {@code changes} changes committed (or the workload ended). */
        void awaitProgress(long changes) throws InterruptedException {
            while (workload.committedChanges() < changes && !workload.finished()) {
                Thread.sleep(2);
            }
            failIfWorkloadFailed();
        }

        void awaitWorkload() throws InterruptedException {
            workload.release();
            workloadThread.join(options.timeout.toMillis() * 3);
            if (workloadThread.isAlive()) {
                throw new IllegalStateException("the workload did not finish; committed " + workload.committedChanges());
            }
            failIfWorkloadFailed();
        }

        void failIfWorkloadFailed() {
            if (workload.failure() != null) {
                throw new IllegalStateException("the workload failed: " + workload.failure().getMessage(),
                        workload.failure());
            }
        }

        /** A random point of the workload for fault i of n, spread over it. */
        long threshold(int i, int n) {
            double slot = (double) changes / (n + 1);
            double at = slot * (i + 1) + (random.nextDouble() - 0.5) * 0.6 * slot;
            return Math.max(1, Math.min(changes - 1, Math.round(at)));
        }

        // ---------------------------------------------------------- scenarios

        void pipelineKills() throws Exception {
            int kills = options.kills;
            long[] at = new long[kills];
            for (int i = 0; i < kills; i++) {
                at[i] = threshold(i, kills);
            }
            workload.holdAt(at[0]);
            startWorkload();
            for (int i = 0; i < kills; i++) {
                awaitProgress(at[i]);
                workload.release();
                Thread.sleep(random.nextInt(300));
                long committed = workload.committedChanges();
                pipeline.kill9();
                pipeline.start();
                long faultEnd = System.nanoTime();
                int ended = workload.endedTransactions();
                if (i + 1 < kills) {
                    workload.holdAt(at[i + 1]);
                }
                long recovery = measureRecovery(faultEnd, ended, false);
                recoveries.add(recovery);
                log(label + ": kill " + (i + 1) + "/" + kills + " after " + committed + " committed changes, recovered in "
                        + recovery + " ms");
            }
            awaitWorkload();
        }

        void redisDown() throws Exception {
            long at = threshold(random.nextInt(2), 3);
            workload.holdAt(at);
            startWorkload();
            awaitProgress(at);
            workload.release();
            Thread.sleep(random.nextInt(300));
            long lengthBefore;
            String groupBefore;
            try (Jedis jedis = servers.redis()) {
                lengthBefore = jedis.xlen(stream);
                groupBefore = groupState(jedis);
            }
            log(label + ": shutting Redis down after " + workload.committedChanges() + " committed changes, "
                    + lengthBefore + " stream entries");
            long down = shutDownRedis();
            long wakeUp = down + TimeUnit.MILLISECONDS.toNanos(options.redisGapMs);
            while (System.nanoTime() < wakeUp) {
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(wakeUp - System.nanoTime())));
            }
            servers("restart-redis");
            long faultEnd = System.nanoTime();
            int ended = workload.endedTransactions();
            extra.put("redis_down_ms", TimeUnit.NANOSECONDS.toMillis(faultEnd - down));
            try (Jedis jedis = servers.redis()) {
                long lengthAfter = jedis.xlen(stream);
                String groupAfter = groupState(jedis);
                boolean kept = lengthAfter >= lengthBefore && (groupBefore == null || groupAfter != null);
                extra.put("stream_kept", kept ? "yes" : "no");
                log(label + ": stream length " + lengthBefore + " -> " + lengthAfter + ", group " + groupBefore + " -> "
                        + groupAfter);
            }
            long recovery = measureRecovery(faultEnd, ended, false);
            recoveries.add(recovery);
            log(label + ": Redis back after " + extra.get("redis_down_ms") + " ms, recovered in " + recovery + " ms");
            awaitWorkload();
        }

        /** The group's last delivered id, entries read and pending entries, or null when there is no group. */
        String groupState(Jedis jedis) {
            if (!jedis.exists(stream)) {
                return null;
            }
            for (StreamGroupInfo group : jedis.xinfoGroups(stream)) {
                if (group.getName().equals(GROUP)) {
                    return "[last " + group.getLastDeliveredId() + ", read " + group.getGroupInfo().get("entries-read")
                            + ", pending " + group.getPending() + "]";
                }
            }
            return null;
        }

        /** SHUTDOWN (the append-only file is flushed), then waits until Redis refuses connections. */
        long shutDownRedis() throws InterruptedException {
            try (Jedis jedis = servers.redis()) {
                jedis.shutdown(ShutdownParams.shutdownParams().nosave());
            } catch (JedisConnectionException expected) {
                // the server closed the connection: it is going down
            }
            while (true) {
                try (Jedis jedis = servers.redis()) {
                    jedis.ping();
                } catch (JedisConnectionException gone) {
                    return System.nanoTime();
                }
                Thread.sleep(10);
            }
        }

        void mariadbRestart() throws Exception {
            long at = threshold(random.nextInt(2), 3);
            workload.holdAt(at);
            startWorkload();
            awaitProgress(at);
            workload.release();
            Thread.sleep(random.nextInt(300));
            log(label + ": restarting MariaDB after " + workload.committedChanges() + " committed changes");
            long begin = System.nanoTime();
            servers("restart-mariadb");
            long faultEnd = System.nanoTime();
            int ended = workload.endedTransactions();
            extra.put("mariadb_restart_ms", TimeUnit.NANOSECONDS.toMillis(faultEnd - begin));
            long recovery = measureRecovery(faultEnd, ended, false);
            recoveries.add(recovery);
            log(label + ": MariaDB back after " + extra.get("mariadb_restart_ms") + " ms, recovered in " + recovery
                    + " ms");
            awaitWorkload();
        }

        void workerKill() throws Exception {
            startWorkload();
            awaitWorkload();
            mark("loaded");
            if (!awaitMarker("loaded", options.timeout)) {
                throw new IllegalStateException("the pipeline did not write the workload to the stream within "
                        + options.timeout);
            }
            long entries;
            try (Jedis jedis = servers.redis()) {
                entries = jedis.xlen(stream);
            }
            log(label + ": stream loaded with " + entries + " entries; starting two workers");
            ManagedProcess first = startWorker(1);
            ManagedProcess second = startWorker(2);
            double fraction = 0.2 + 0.4 * random.nextDouble();
            long target = Math.round(entries * fraction);
            long acked = 0;
            long deadline = System.nanoTime() + options.timeout.toNanos();
            while ((acked = acked(entries)) < target) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the workers did not drain " + target + " entries in time");
                }
                Thread.sleep(5);
            }
            ManagedProcess victim = victim(first, second);
            victim.kill9();
            long faultEnd = System.nanoTime();
            workers.remove(victim);
            ManagedProcess survivor = victim == first ? second : first;
            extra.put("killed_at_acked", acked + "/" + entries);
            long recovery = measureRecovery(faultEnd, workload.endedTransactions(), true);
            recoveries.add(recovery);
            long claimed = 0;
            Matcher m;
            for (String line : survivor.lines("took over")) {
                if ((m = Pattern.compile("took over (\\d+) entries").matcher(line)).find()) {
                    claimed += Long.parseLong(m.group(1));
                }
            }
            extra.put("claimed_by_survivor", claimed);
            log(label + ": killed " + victim.label() + " at " + acked + "/" + entries + " acknowledged; the survivor took "
                    + "over " + claimed + " entries; recovered in " + recovery + " ms");
        }

        /** Entries the group acknowledged so far. */
        long acked(long entries) {
            try (Jedis jedis = servers.redis()) {
                for (StreamGroupInfo group : jedis.xinfoGroups(stream)) {
                    if (group.getName().equals(GROUP)) {
                        return entries - StreamProbe.unread(jedis, stream, group) - group.getPending();
                    }
                }
            } catch (RuntimeException e) {
                // no stream or group yet
            }
            return 0;
        }

        /** The worker to kill: one holding pending entries, if any does. */
        ManagedProcess victim(ManagedProcess first, ManagedProcess second) {
            List<ManagedProcess> holding = new ArrayList<>();
            try (Jedis jedis = servers.redis()) {
                for (StreamConsumerInfo consumer : jedis.xinfoConsumers2(stream, GROUP)) {
                    if (consumer.getPending() > 0) {
                        if (consumer.getName().equals(cdcName + "-worker-1")) {
                            holding.add(first);
                        } else if (consumer.getName().equals(cdcName + "-worker-2")) {
                            holding.add(second);
                        }
                    }
                }
            }
            List<ManagedProcess> candidates = holding.isEmpty() ? List.of(first, second) : holding;
            return candidates.get(random.nextInt(candidates.size()));
        }

        /**
         * Milliseconds from {@code faultEnd} until every change of the first {@code ended} transactions is in the
         * stream and every key of their rows is gone (and, with {@code drained}, nothing is pending); -1 if that
         * takes longer than the timeout or nothing moves for {@link #STALL_MS}. Changes that went to the
         * dead-letter stream are left out (they are never invalidated; the final check counts them).
         */
        long measureRecovery(long faultEnd, int ended, boolean drained) throws InterruptedException {
            List<Workload.Change> committed = workload.committed(ended);
            Set<String> waiting = new HashSet<>();
            for (Workload.Change change : committed) {
                waiting.add(change.identity());
            }
            long deadline = faultEnd + options.timeout.toNanos();
            long lastEntries = -1;
            int lastWaiting = -1;
            long lastMove = System.nanoTime();
            int deadLettered = 0;
            while (System.nanoTime() < deadline) {
                waiting.removeIf(audit::seen);
                for (Iterator<String> it = waiting.iterator(); it.hasNext();) {
                    if (audit.deadLettered(it.next())) {
                        it.remove();
                        deadLettered++;
                    }
                }
                if (waiting.isEmpty()) {
                    Set<String> keys = new HashSet<>();
                    for (Workload.Change change : committed) {
                        if (!audit.deadLettered(change.identity())) {
                            keys.add(change.cacheKey());
                        }
                    }
                    try (Jedis jedis = servers.redis()) {
                        if (countExisting(jedis, keys) == 0 && (!drained || pending(jedis) == 0)) {
                            if (deadLettered > 0) {
                                log(label + ": " + deadLettered + " changes committed before the fault went to the"
                                        + " dead-letter stream instead (not counted in the recovery time)");
                            }
                            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultEnd);
                        }
                    } catch (RuntimeException e) {
                        // Redis not back yet
                    }
                }
                if (audit.entries() != lastEntries || waiting.size() != lastWaiting) {
                    lastEntries = audit.entries();
                    lastWaiting = waiting.size();
                    lastMove = System.nanoTime();
                } else if (!waiting.isEmpty() && System.nanoTime() - lastMove > TimeUnit.MILLISECONDS.toNanos(STALL_MS)) {
                    log(label + ": nothing reached the stream for " + STALL_MS / 1000 + " s while " + waiting.size()
                            + " committed changes are missing from it: no recovery");
                    return -1;
                }
                Thread.sleep(25);
            }
            log(label + ": not recovered within " + options.timeout + "; " + waiting.size()
                    + " committed changes still missing from the stream");
            return -1;
        }

        long pending(Jedis jedis) {
            for (StreamGroupInfo group : jedis.xinfoGroups(stream)) {
                if (group.getName().equals(GROUP)) {
                    return group.getPending();
                }
            }
            return -1;
        }

        // ---------------------------------------------------------- the check

        ScenarioResult check(long elapsedNanos) throws Exception {
            boolean caughtUp = true;
            mark("final");
            if (!awaitMarker("final", options.timeout)) {
                log(label + ": the pipeline did not write the final marker within " + options.timeout);
                caughtUp = false;
            }
            try {
                new StreamProbe(servers, stream, GROUP).awaitDrained(options.timeout);
            } catch (ConditionTimeoutException e) {
                log(label + ": the group did not drain within " + options.timeout);
                caughtUp = false;
            }
            String last = new StreamProbe(servers, stream, GROUP).lastId();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!last.equals(audit.lastId()) && System.nanoTime() < until) {
                Thread.sleep(20);
            }

            List<Workload.Change> committed = workload.committed(workload.endedTransactions());
            List<Workload.Change> excluded = workload.excluded();
            Map<String, Workload.Change> lastChangeOfKey = new LinkedHashMap<>();
            Set<String> expected = new HashSet<>();
            for (Workload.Change change : committed) {
                lastChangeOfKey.put(change.cacheKey(), change);
                expected.add(change.identity());
            }
            Set<String> allowed = new HashSet<>(expected);
            excluded.forEach(change -> allowed.add(change.identity()));
            List<String> present = new ArrayList<>();
            List<String> controlGone = new ArrayList<>();
            long deadLetterCount;
            long entries;
            try (Jedis jedis = servers.redis()) {
                Map<String, Boolean> exists = exists(jedis, lastChangeOfKey.keySet());
                exists.forEach((key, there) -> {
                    if (there) {
                        present.add(key);
                    }
                });
                exists(jedis, workload.controlKeys()).forEach((key, there) -> {
                    if (!there) {
                        controlGone.add(key);
                    }
                });
                deadLetterCount = jedis.xlen(deadLetters);
                entries = jedis.xlen(stream);
            }
            List<Workload.Change> missing = committed.stream().filter(change -> !audit.seen(change.identity())).toList();
            Set<String> unexpected = audit.unexpected(allowed);

            evidence("still present (last committed change of the row)", present.stream()
                    .map(key -> key + " <- " + lastChangeOfKey.get(key)).toList());
            evidence("control keys deleted", controlGone);
            evidence("committed changes missing from the stream", missing.stream()
                    .map(change -> change + (audit.deadLettered(change.identity()) ? " (dead-lettered)" : "")).toList());
            evidence("stream events of uncommitted changes", new ArrayList<>(unexpected));
            for (String note : workload.notes()) {
                log(label + ": " + note);
            }
            if (audit.unreadable() > 0) {
                extra.put("unreadable_entries", audit.unreadable());
            }
            if (workload.retriedTransactions() > 0) {
                extra.put("transactions_retried", workload.retriedTransactions());
            }
            if (workload.unknownCommits() > 0) {
                extra.put("unknown_commits_committed", workload.unknownCommitsThatCommitted());
            }
            extra.put("pipeline_kills", pipeline.kills());
            // a restarted pipeline that found no saved position starts at the server's current one: a gap
            long fresh = pipeline.countLines("No previous offsets found") - 1;
            if (fresh > 0) {
                extra.put("restarts_without_saved_position", fresh);
            }
            int unexpectedExits = pipeline.unexpectedExits();
            for (ManagedProcess worker : workers) {
                unexpectedExits += worker.unexpectedExits();
            }
            StringBuilder facts = new StringBuilder();
            extra.forEach((k, v) -> facts.append(k).append('=').append(v).append(' '));
            return new ScenarioResult(label, committed.size(), workload.committedTransactions(), lastChangeOfKey.size(),
                    present.size(), workload.controlKeys().size(), controlGone.size(), missing.size(), unexpected.size(),
                    entries, audit.duplicates(), deadLetterCount, workload.unknownCommits(), excluded.size(),
                    recoveries.size(), List.copyOf(recoveries), unexpectedExits, caughtUp,
                    TimeUnit.NANOSECONDS.toMillis(elapsedNanos), facts.toString());
        }

        void evidence(String what, List<String> items) {
            if (!items.isEmpty()) {
                log(label + ": " + items.size() + " " + what + ", first ones:");
                items.stream().limit(20).forEach(item -> log("    " + item));
            }
        }

        @Override
        public void close() throws Exception {
            supervising = false;
            if (supervisor != null) {
                supervisor.interrupt();
                supervisor.join(2000);
            }
            if (workloadThread != null && workloadThread.isAlive()) {
                workload.abort();
                workloadThread.join(30_000);
            }
            for (ManagedProcess worker : workers) {
                worker.stop();
            }
            if (pipeline != null) {
                pipeline.stop();
            }
            if (audit != null) {
                audit.close();
            }
            for (ManagedProcess process : new ArrayList<>(live)) {
                if (options.logDir != null) {
                    try {
                        process.writeLogs(options.logDir);
                    } catch (IOException e) {
                        log("cannot write logs: " + e.getMessage());
                    }
                }
                process.destroyNow();
                live.remove(process);
            }
            if (!options.keep && stream != null) {
                try (Jedis jedis = servers.redis()) {
                    jedis.del(stream, deadLetters);
                    List<String> keys = new ArrayList<>(presetKeys);
                    for (int from = 0; from < keys.size(); from += 5000) {
                        jedis.unlink(keys.subList(from, Math.min(keys.size(), from + 5000)).toArray(String[]::new));
                    }
                } catch (RuntimeException e) {
                    log(label + ": could not clean up Redis: " + e.getMessage());
                }
            }
            if (dataDir != null) {
                delete(dataDir);
                dataDirs.remove(dataDir);
            }
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
