package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.TestServers;

/**
 * Figure 5, startup: {@code java -Xmx256m -jar ... pipeline} from process start to the log line "Connected to
 * binlog", on a fresh data directory (no saved position, snapshot mode no_data). The catch-up figure also reports
 * startup with a saved position.
 * <p>
 * Flags: {@code --runs 2}.
 */
public final class StartupBench {

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        TestServers servers = BenchSupport.servers();
        List<String> times = new ArrayList<>();
        boolean met = true;
        for (int run = 1; run <= runs; run++) {
            Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve("startup-" + run + "-data"));
            try (BenchSupport.App app = BenchSupport.App.start("startup-" + run, "pipeline", List.of("-Xmx256m"),
                    Map.of("cdc.dataDir", dataDir.toAbsolutePath().toString(), "stream.key", "bench:startup"), servers)) {
                long connected = app.awaitLine("Connected to binlog", 120);
                long started = app.awaitLine(") started in", 30);
                long nanos = connected - app.startNanos;
                times.add(seconds(nanos));
                met &= nanos <= 5_000_000_000L;
                detail("startup run %d: 'Connected to binlog' after %s, Camel 'started in' line after %s (load %s)", run,
                        seconds(nanos), seconds(started - app.startNanos), BenchSupport.loadAverage());
            }
        }
        row("(5) Startup, process start to 'Connected to binlog'", String.join(" / ", times) + " (fresh data dir)"
                + (met ? "" : " **MISSED**"), "<= 5 s", "");
    }
}
