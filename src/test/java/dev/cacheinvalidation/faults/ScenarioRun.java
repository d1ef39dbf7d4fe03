package dev.cacheinvalidation.faults;

import static dev.cacheinvalidation.faults.FaultInjectionHarness.GROUP;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.STALL_MS;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.countExisting;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.delete;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.exists;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.log;
import static dev.cacheinvalidation.faults.FaultInjectionHarness.setAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.faults.FaultInjectionHarness.Options;
import dev.cacheinvalidation.faults.FaultInjectionHarness.Scenario;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import org.awaitility.core.ConditionTimeoutException;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * One run of a fault-injection scenario: the workload, the stream audit, the pipeline and worker processes, the
 * measurement of recovery and the final check. Each scenario's fault is its subclass's {@link #injectFault}.
 */
abstract class ScenarioRun implements AutoCloseable {
    final FaultInjectionHarness harness;
    final TestServers servers;
    final Options options;
    final List<ManagedProcess> live;
    final List<Path> dataDirs;
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

    ScenarioRun(FaultInjectionHarness harness, Scenario scenario, int changes, Random random) {
        this.harness = harness;
        this.servers = harness.servers;
        this.options = harness.options;
        this.live = harness.live;
        this.dataDirs = harness.dataDirs;
        this.scenario = scenario;
        this.label = FaultInjectionHarness.label(scenario, options);
        this.changes = changes;
        this.random = random;
    }

    /** The scenario's fault, injected while the workload runs; it ends once the workload has. */
    abstract void injectFault() throws Exception;

    void setup() throws Exception {
        long base = harness.nextBase();
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
                if (StreamProbe.group(jedis, stream, GROUP) != null
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
                throw new IllegalStateException("the pipeline exited during startup:\n" + pipeline.tail(30));
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
        try (Connection db = harness.connect(); PreparedStatement update = db.prepareStatement(
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
        workloadThread = new Thread(() -> workload.run(harness::connect), "fault-injection-workload");
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

    /** Starts the workload and returns soon after a random point in its first two thirds, where one fault comes. */
    void runToOneRandomPoint() throws InterruptedException {
        long at = threshold(random.nextInt(2), 3);
        workload.holdAt(at);
        startWorkload();
        awaitProgress(at);
        workload.release();
        Thread.sleep(random.nextInt(300));
    }

    /** A random point of the workload for fault i of n, spread over it. */
    long threshold(int i, int n) {
        double slot = (double) changes / (n + 1);
        double at = slot * (i + 1) + (random.nextDouble() - 0.5) * 0.6 * slot;
        return Math.max(1, Math.min(changes - 1, Math.round(at)));
    }

    /**
     * Milliseconds from {@code faultEnd} until every change of the first {@code ended} transactions is in the
     * stream and every key of their rows is gone (and, with {@code drained}, nothing is pending); -1 if that
     * takes longer than the timeout or nothing moves for {@link FaultInjectionHarness#STALL_MS}. Changes that went to the
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
        StreamGroupInfo group = StreamProbe.group(jedis, stream, GROUP);
        return group == null ? -1 : group.getPending();
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
        long fresh = pipeline.lines("No previous offsets found").size() - 1;
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
            harness.writeLogs(process);
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
