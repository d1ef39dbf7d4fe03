package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.StreamProbe;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;

/**
 * Figure 13, restart after an outage: pipeline ({@code -Xmx256m}) and worker ({@code -Xmx128m}) run, both as
 * {@code scripts/run.sh} starts them (with the ahead-of-time cache when bench/run.sh made one), and have saved
 * their positions; both stop, 100,000 changes commit (transactions of 100 UPDATEs, as figure 1), then one last
 * change of a product whose key is cached; both start again at the same moment. Reported: the time from that
 * restart to the last key deleted (the cached key of the last change gone, and the consumer group with nothing
 * pending and no lag, so every change's keys are deleted), and both processes' peak RSS.
 * <p>
 * Flags: {@code --runs 2 --rows 1000 --rounds 100}.
 */
public final class RestartBench {

    private static final int SENTINEL_ID = CatchupBench.FIRST_ID - 1;

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        BenchSupport.Backlog backlog = BenchSupport.Backlog.of(flags);
        TestServers servers = BenchSupport.servers();
        BenchSupport.ensureProducts(servers, SENTINEL_ID, backlog.rows() + 1);
        List<String> times = new ArrayList<>();
        List<String> memory = new ArrayList<>();
        boolean met = true;
        for (int run = 1; run <= runs; run++) {
            String stream = "bench:restart:" + run + ":" + System.currentTimeMillis();
            Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve("restart-" + run + "-data"));
            Map<String, String> pipelineProps = Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(),
                    "stream.key", stream, "stream.maxLen", "0", "stream.deadLetterKey", stream + ":dlq");
            Map<String, String> workerProps = Map.of("stream.key", stream, "worker.consumerName", "bench-restart",
                    "worker.deadLetterStream", stream + ":worker-dlq");
            try (Jedis jedis = servers.redis()) {
                // 1. both run once: positions saved, consumer group created
                try (AppProcess pipeline = pipeline("restart-" + run + "-before", pipelineProps, servers);
                        AppProcess worker = worker("restart-" + run + "-worker-before", workerProps, servers)) {
                    pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(180));
                    worker.awaitLine("reading stream", Duration.ofSeconds(180));
                    updateSentinel(servers);
                    long deadline = System.currentTimeMillis() + 60_000;
                    while (!drained(jedis, stream, 1) && System.currentTimeMillis() < deadline) {
                        BenchSupport.sleep(20);
                    }
                    BenchSupport.sleep(2500);
                }
                // 2. the outage: the backlog and one last change, with its key cached
                long events = CatchupBench.commitBacklog(servers, backlog.rows(), backlog.rounds());
                jedis.set("product:" + SENTINEL_ID, "cached");
                updateSentinel(servers);
                long expected = jedis.xlen(stream) + events + 1;
                detail("restart run %d: %,d changes committed while pipeline and worker were down, the last one's key"
                        + " cached (load %s)", run, events + 1, BenchSupport.loadAverage());
                // 3. both start again
                try (AppProcess pipeline = pipeline("restart-" + run, pipelineProps, servers);
                        AppProcess worker = worker("restart-" + run + "-worker", workerProps, servers)) {
                    long restart = Math.min(pipeline.startNanos(), worker.startNanos());
                    long keyGone = 0;
                    long done = 0;
                    long deadline = System.nanoTime() + 600_000_000_000L;
                    while (done == 0 && System.nanoTime() < deadline && pipeline.isAlive() && worker.isAlive()) {
                        long now = System.nanoTime();
                        if (keyGone == 0 && !jedis.exists("product:" + SENTINEL_ID)) {
                            keyGone = now;
                        }
                        if (keyGone != 0 && drained(jedis, stream, expected)) {
                            done = now;
                        }
                        BenchSupport.sleep(20);
                    }
                    long connected = pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(1));
                    String rss = "pipeline " + pipeline.memorySummary() + ", worker " + worker.memorySummary();
                    memory.add(rss);
                    if (done == 0) {
                        met = false;
                        times.add("INCOMPLETE");
                        detail("restart run %d: INCOMPLETE, the group holds %s; %s", run,
                                StreamProbe.state(jedis, stream, BenchSupport.GROUP), rss);
                        continue;
                    }
                    met &= !pipeline.ranOutOfMemory() && !worker.ranOutOfMemory();
                    times.add(seconds(done - restart));
                    detail("restart run %d: binlog read %s after the restart, last change's key deleted after %s, every"
                            + " entry acknowledged after %s; %s (load %s)", run, seconds(connected - restart),
                            seconds(keyGone - restart), seconds(done - restart), rss, BenchSupport.loadAverage());
                }
                jedis.del(stream);
            }
        }
        row("(13) Restart after an outage, " + BenchSupport.num(backlog.changes()) + " changes committed while down",
                String.join(" / ", times) + " from restart to the last key deleted" + (met ? "" : " **MISSED**"),
                "no OOM", "");
        row("(4) Memory, restart: pipeline -Xmx256m, worker -Xmx128m", String.join(" / ", memory), "no OOM", "");
    }

    private static AppProcess pipeline(String name, Map<String, String> props, TestServers servers)
            throws Exception {
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        options.addAll(BenchSupport.aotOptions());
        return BenchSupport.app(name, "pipeline", options, props, servers);
    }

    private static AppProcess worker(String name, Map<String, String> props, TestServers servers)
            throws Exception {
        List<String> options = new ArrayList<>(List.of("-Xmx128m"));
        options.addAll(BenchSupport.aotOptions());
        return BenchSupport.app(name, "worker", options, props, servers);
    }

    private static void updateSentinel(TestServers servers) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = " + SENTINEL_ID);
        }
    }

    /** The stream holds at least {@code entries} and the group has read them all and has nothing pending. */
    private static boolean drained(Jedis jedis, String stream, long entries) {
        StreamProbe.GroupState group = StreamProbe.state(jedis, stream, BenchSupport.GROUP);
        return group != null && jedis.xlen(stream) >= entries && group.drained();
    }
}
