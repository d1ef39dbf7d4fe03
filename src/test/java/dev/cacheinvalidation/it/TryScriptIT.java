package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/try.sh}, the README's try command, with servers of its own (never the tests'): it reaches the
 * original example's scenario and prints it exactly as the Quick start shows it, whatever the tests did to their
 * own servers before.
 */
class TryScriptIT {

    private static final String SCENARIO_START = "[try] --- the original example's scenario";
    private static final String SCENARIO_END = "[try] ---";
    /** The README writes a log line's varying head (time, level, thread) as "... ". */
    private static final String ELIDED = "... ";

    @TempDir
    Path demoDir;

    @Test
    void theTryCommandShowsTheScenarioOfTheQuickStartAndStopsWhatItStarted() throws Exception {
        ProcessBuilder builder = AppProcess.sealed(new ProcessBuilder("bash", "scripts/try.sh", "--exit"))
                .redirectErrorStream(true);
        builder.environment().put("TRY_DIR", demoDir.toString());
        Process process = builder.start();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).as("try.sh finished").isTrue();
        assertThat(process.exitValue()).as("try.sh exit code, output:\n" + output).isZero();

        List<String> shown = scenario(output.lines().toList());
        List<String> documented = scenario(quickStartBlocks());
        assertThat(shown).as("output:\n" + output).hasSameSizeAs(documented);
        for (int i = 0; i < documented.size(); i++) {
            String line = documented.get(i);
            if (line.startsWith(ELIDED)) {
                assertThat(shown.get(i)).endsWith(line.substring(ELIDED.length()));
            } else {
                assertThat(shown.get(i)).isEqualTo(line);
            }
        }
        assertThat(output).contains("[try] stopping the application", "[servers] stopping Redis", "[servers] stopping MariaDB");
    }

    /** The lines from the scenario's first marker to its last, both included. */
    private static List<String> scenario(List<String> lines) {
        int start = lines.indexOf(SCENARIO_START);
        assertThat(start).as("the scenario's first line in\n" + String.join("\n", lines)).isNotNegative();
        int end = lines.subList(start, lines.size()).indexOf(SCENARIO_END);
        assertThat(end).as("the scenario's last line").isPositive();
        return new ArrayList<>(lines.subList(start, start + end + 1));
    }

    /** The lines of the code blocks of the README's Quick start. */
    private static List<String> quickStartBlocks() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int start = readme.indexOf("\n## Quick start");
        int end = readme.indexOf("\n## ", start + 1);
        List<String> lines = new ArrayList<>();
        boolean inBlock = false;
        for (String line : readme.substring(start, end).lines().toList()) {
            if (line.startsWith("```")) {
                inBlock = !inBlock;
            } else if (inBlock) {
                lines.add(line);
            }
        }
        return lines;
    }
}
