package dev.cacheinvalidation.bench;

import static dev.cacheinvalidation.bench.BenchSupport.detail;
import static dev.cacheinvalidation.bench.BenchSupport.row;
import static dev.cacheinvalidation.bench.BenchSupport.seconds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;

/**
 * Figure 5, startup: {@code java -Xmx256m -jar ... pipeline} from process start to the log line "Connected to
 * binlog", on a fresh data directory (no saved position, snapshot mode no_data), with the ahead-of-time cache as
 * {@code scripts/run.sh} and the Docker image start it (when bench/run.sh made one) and as plain {@code java -jar},
 * alternating. The catch-up figure also reports startup with a saved position.
 * <p>
 * Flags: {@code --runs 2} (of each).
 */
public final class StartupBench {

    public static void main(String[] args) throws Exception {
        BenchSupport.Flags flags = new BenchSupport.Flags(args);
        int runs = flags.integer("runs", 2);
        TestServers servers = BenchSupport.servers();
        Map<String, List<String>> variants = new LinkedHashMap<>();
        if (!BenchSupport.aotOptions().isEmpty()) {
            variants.put("AOT cache", BenchSupport.aotOptions());
        }
        variants.put("java -jar", List.of());
        Map<String, List<String>> times = new LinkedHashMap<>();
        boolean met = true;
        for (int run = 1; run <= runs; run++) {
            for (Map.Entry<String, List<String>> variant : variants.entrySet()) {
                String name = "startup-" + run + (variant.getValue().isEmpty() ? "-plain" : "-aot");
                Path dataDir = Files.createDirectories(BenchSupport.runDir().resolve(name + "-data"));
                List<String> options = new ArrayList<>(List.of("-Xmx256m"));
                options.addAll(variant.getValue());
                try (AppProcess app = BenchSupport.app(name, "pipeline", options, Map.of("cdc.dataDir",
                        dataDir.toAbsolutePath().toString(), "stream.key", "bench:startup"), servers)) {
                    long connected = app.awaitLine("Connected to binlog", Duration.ofSeconds(120));
                    long started = app.awaitLine(") started in", Duration.ofSeconds(30));
                    long nanos = connected - app.startNanos();
                    times.computeIfAbsent(variant.getKey(), k -> new ArrayList<>()).add(seconds(nanos));
                    // the target is for the start as shipped: the first variant
                    if (variant.getKey().equals(variants.keySet().iterator().next())) {
                        met &= nanos <= 3_000_000_000L;
                    }
                    detail("startup run %d, %s: 'Connected to binlog' after %s, Camel 'started in' line after %s"
                            + " (load %s)", run, variant.getKey(), seconds(nanos), seconds(started - app.startNanos()),
                            BenchSupport.loadAverage());
                }
            }
        }
        List<String> cells = new ArrayList<>();
        times.forEach((variant, list) -> cells.add(variant + " " + String.join(" / ", list)));
        row("(5) Startup, process start to 'Connected to binlog'", String.join("; ", cells) + " (fresh data dir)"
                + (met ? "" : " **MISSED**"), "<= 3 s", "");
    }
}
