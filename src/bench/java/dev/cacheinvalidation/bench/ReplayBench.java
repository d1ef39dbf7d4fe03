package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.num;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;
import redis.clients.jedis.Jedis;

/**
 * Figure 14, replay throughput against catch-up in the same run: with the pipeline stopped behind a saved position,
 * a backlog of row changes is committed (transactions of 100 UPDATEs) after a time T; the pipeline catches up
 * (first entry to last, as figure 1), and then {@code replay --since T}, beside it, writes the same changes to a
 * stream of its own (first entry to last; and from process start to its exit). Both at -Xmx256m.
 * <p>
 * Flags: {@code --runs 1 --rows 1000 --rounds 100}.
 */
public final class ReplayBench {

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 1);
        BenchSupport.Backlog backlog = BenchSupport.Backlog.of(flags);
        TestServers servers = BenchSupport.servers();
        BenchSupport.ensureProducts(servers, CatchupBench.FIRST_ID, backlog.rows());
        List<String> figures = new ArrayList<>();
        boolean met = true;
        for (int run = 1; run <= runs; run++) {
            double[] rates = runOnce(servers, run, backlog.rows(), backlog.rounds());
            figures.add("replay " + num(rates[1]) + " events/s against catch-up " + num(rates[0]) + " events/s");
            met &= rates[1] >= rates[0];
        }
        row("(14) Replay, " + num(backlog.changes()) + " changes, tx of 100", String.join(" / ", figures)
                + (met ? "" : " **MISSED**"), ">= the catch-up rate of the same run", "");
    }

    /** The catch-up rate and the replay rate, events/s from first entry to last. */
    static double[] runOnce(TestServers servers, int run, int rows, int rounds) throws Exception {
        String tag = "bench:replay:" + System.currentTimeMillis();
        Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve("replay-" + run + "-data"));
        Map<String, String> props = Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(), "stream.key", tag,
                "stream.maxLen", "0", "stream.deadLetterKey", tag + ":dlq");

        // a saved position behind one change, then T: the binlog's times are whole seconds
        try (Jedis jedis = servers.redis(); AppProcess first = BenchSupport.app("replay-" + run + "-first", "pipeline",
                List.of("-Xmx256m"), props, servers)) {
            first.awaitLine("Connected to binlog", Duration.ofSeconds(120));
            try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = " + CatchupBench.FIRST_ID);
            }
            long deadline = System.currentTimeMillis() + 60_000;
            while (jedis.xlen(tag) < 1 && System.currentTimeMillis() < deadline) {
                BenchSupport.sleep(20);
            }
            BenchSupport.sleep(2500);
            jedis.del(tag);
        }
        BenchSupport.sleep(1100);
        Instant since = Instant.now();
        BenchSupport.sleep(1100);
        long events = CatchupBench.commitBacklog(servers, rows, rounds);
        detail("replay run %d: backlog of %,d row changes committed after %s", run, events, since);

        try (Jedis jedis = servers.redis();
                AppProcess catchup = BenchSupport.app("replay-" + run + "-catchup", "pipeline", List.of("-Xmx256m"), props,
                        servers)) {
            catchup.awaitLine("Connected to binlog", Duration.ofSeconds(300));
            BenchSupport.Fill caught = BenchSupport.followFill(jedis, catchup, tag, tag + ":dlq", events, 30);
            double catchupRate = events / ((caught.done() - caught.first()) / 1e9);
            detail("replay run %d: catch-up %s events/s (%s first entry to last)", run, num(catchupRate),
                    seconds(caught.done() - caught.first()));

            String replayStream = tag + ":replayed";
            Map<String, String> replayProps = Map.of("stream.key", replayStream, "stream.maxLen", "0",
                    "stream.deadLetterKey", replayStream + ":dlq");
            try (AppProcess replay = BenchSupport.app("replay-" + run + "-replay", "replay",
                    List.of("--since", since.toString()), List.of("-Xmx256m"), replayProps, servers)) {
                BenchSupport.Fill replayed = BenchSupport.followFill(jedis, replay, replayStream, replayStream + ":dlq",
                        events, 30);
                int exit = replay.awaitExit(Duration.ofSeconds(120));
                double replayRate = events / ((replayed.done() - replayed.first()) / 1e9);
                detail("replay run %d: replay %s events/s (%s first entry to last), %s from process start to its exit"
                        + " (code %d); %s", run, num(replayRate), seconds(replayed.done() - replayed.first()),
                        seconds(System.nanoTime() - replay.startNanos()), exit,
                        replay.lines("Replay done").stream().findFirst().orElse("no summary line"));
                jedis.del(tag, tag + ":dlq", replayStream, replayStream + ":dlq");
                return new double[] { catchupRate, replayRate };
            }
        }
    }
}
