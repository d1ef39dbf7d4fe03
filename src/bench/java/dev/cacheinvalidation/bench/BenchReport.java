package dev.cacheinvalidation.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Collects the rows the figures wrote to the run directory (and the JMH result, if any) into one markdown table
 * with the machine in its header; prints it and writes {@code bench/results/latest.md} ({@code bulk.md} for
 * {@code bench/run.sh bulk}) (and copies the run's
 * latency chart to {@code bench/results/latency.png}).
 * <p>
 * Arguments: the command line that produced the run and the revision measured, for the record.
 */
public final class BenchReport {

    public static void main(String[] args) throws Exception {
        Path dir = BenchSupport.runDir();
        jmhRows(dir.resolve("jmh.json"), "GraalJS interpreter (java -jar)", "-f 1 -wi 3 -i 5");
        jmhRows(dir.resolve("jmh-graal.json"), "Graal JIT (java @target/graal.args -jar)", "-f 1 -wi 5 -i 5");
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Run ").append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append(" with `").append(args.length == 0 ? "bench/run.sh" : args[0]).append("`")
                .append(args.length > 1 ? " on revision " + args[1] : "").append(".\n\n");
        md.append("| Figure — ").append(machine()).append(" | Result | Target | Reference |\n");
        md.append("|---|---|---|---|\n");
        Path rows = dir.resolve("rows.tsv");
        if (Files.exists(rows)) {
            for (String line : Files.readAllLines(rows)) {
                String[] cells = line.split("\t", -1);
                md.append("| ").append(String.join(" | ", cells)).append(" |\n");
            }
        }
        Path details = dir.resolve("details.md");
        if (Files.exists(details)) {
            md.append("\nDetails (each run):\n\n");
            for (String line : Files.readAllLines(details)) {
                md.append("- ").append(line).append('\n');
            }
        }
        Files.createDirectories(Path.of("bench/results"));
        if (Files.exists(dir.resolve("latency.png"))) {
            Files.copy(dir.resolve("latency.png"), Path.of("bench/results/latency.png"), StandardCopyOption.REPLACE_EXISTING);
            md.append("\n![end-to-end latency](latency.png)\n");
        }
        // the bulk figure takes long and is run apart: its table is kept apart from the last full run's
        String file = args.length > 0 && args[0].matches(".*bench/run\\.sh bulk\\b.*") ? "bulk.md" : "latest.md";
        Files.writeString(Path.of("bench/results", file), md.toString());
        System.out.println();
        System.out.println(md);
    }

    /** Turns JMH's JSON result into rows: the whole step is figure 6, its halves go to the details. */
    private static void jmhRows(Path json, String runtime, String options) throws IOException {
        if (!Files.exists(json)) {
            return;
        }
        JsonNode results = new ObjectMapper().readTree(json.toFile());
        List<String> parts = new ArrayList<>();
        for (JsonNode result : results) {
            String name = result.path("benchmark").asText().replaceAll(".*\\.", "");
            JsonNode metric = result.path("primaryMetric");
            double score = metric.path("score").asDouble();
            double error = metric.path("scoreError").asDouble();
            String text = String.format(Locale.ROOT, "%.2f ± %.2f us/event", score, Double.isNaN(error) ? 0 : error);
            if (name.equals("pipelineStep")) {
                BenchSupport.row("(6) JS step (JMH), batch of 100 seed events, " + runtime,
                        text + (score <= 10 ? "" : " **MISSED**"),
                        "<= 10 us/event", "");
            }
            parts.add(name + " " + text);
        }
        BenchSupport.detail("JMH ScriptStepBenchmark, %s (%s): %s", runtime, options, String.join("; ", parts));
    }

    /** "2 cores (nproc 2), AMD EPYC ..., Java 17.0.15". */
    static String machine() {
        String model = "?";
        String physical = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && model.equals("?")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                }
                if (line.startsWith("cpu cores") && physical == null) {
                    physical = line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        String nproc = "?";
        try {
            Process p = new ProcessBuilder("nproc").redirectErrorStream(true).start();
            nproc = new String(p.getInputStream().readAllBytes()).trim();
        } catch (IOException e) {
            // no nproc
        }
        return String.format(Locale.ROOT, "%d cores%s (nproc %s), %s, Java %s (%s)", Runtime.getRuntime().availableProcessors(),
                physical == null ? "" : " (" + physical + " per socket)", nproc, model,
                System.getProperty("java.version"), System.getProperty("java.vm.name"));
    }
}
