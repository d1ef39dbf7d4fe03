package dev.cacheinvalidation.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The JVM options of every start of the application, from {@code scripts/jvm.options}, the file the launcher
 * ({@code scripts/run.sh}) reads too: for the tests' and the benchmarks' processes, which run this JVM's Java.
 */
public final class JvmOptions {

    /** Relative to the project directory, where tests and benchmarks run. */
    private static final Path FILE = Path.of("scripts/jvm.options");

    private JvmOptions() {
    }

    /** The options of every start with this JVM's Java version ("all", and "javaNN" from Java NN on). */
    public static List<String> standard() {
        int feature = Runtime.version().feature();
        List<String> options = new ArrayList<>();
        for (String[] line : lines()) {
            String when = line[0];
            if (when.equals("all") || when.matches("java\\d+") && feature >= Integer.parseInt(when.substring(4))) {
                options.add(line[1]);
            }
        }
        return options;
    }

    /** {@code -XX:AOTCache=cache} and the options of a start from an ahead-of-time cache, as the launcher adds them. */
    public static List<String> fromAotCache(Path cache) {
        List<String> options = new ArrayList<>(List.of("-XX:AOTCache=" + cache));
        options.addAll(of(Set.of("aot-use", "aot")));
        return options;
    }

    private static List<String> of(Set<String> cases) {
        return lines().stream().filter(line -> cases.contains(line[0])).map(line -> line[1]).toList();
    }

    /** Each option line as {case, option}, comments and blank lines left out. */
    private static List<String[]> lines() {
        try {
            return Files.readAllLines(FILE).stream().map(String::strip)
                    .filter(line -> !line.isEmpty() && !line.startsWith("#")).map(line -> line.split("\\s+", 2))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("the JVM options of the application: " + FILE.toAbsolutePath(), e);
        }
    }
}
