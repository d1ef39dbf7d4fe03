package dev.cacheinvalidation.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The project layout of docs/development.md (the block under "## Project layout") and the tree agree: every path
 * it names exists, and every package, top-level directory and top-level file a newcomer sees is named in it.
 */
class ProjectLayoutTest {

    private static final Path CODE = Path.of("src/main/java/dev/cacheinvalidation");
    /** Named in prose elsewhere or self-explanatory: the build's and the repository's own files. */
    private static final Set<String> UNLISTED = Set.of("pom.xml", "README.md", "docs", "Dockerfile",
            "docker-compose.yml", "src", ".ci", ".mvn", ".gitignore", ".dockerignore", "target", ".git");

    @Test
    void everyPathTheLayoutNamesExists() throws IOException {
        List<String> missing = new ArrayList<>();
        for (String path : layoutPaths()) {
            if (!path.contains("(in the jar)") && !path.contains("...") && !Files.exists(Path.of(path))
                    && !Files.exists(CODE.resolve(path))) {
                missing.add(path);
            }
        }
        assertThat(missing).as("paths in the layout of docs/development.md that do not exist").isEmpty();
    }

    @Test
    void everyPackageAndTopLevelEntryIsInTheLayout() throws IOException {
        Set<String> named = new TreeSet<>();
        for (String path : layoutPaths()) {
            named.add(path.replaceAll("/.*", "/"));
            named.add(path);
        }
        Set<String> unnamed = new TreeSet<>();
        try (Stream<Path> packages = Files.list(CODE)) {
            packages.map(p -> p.getFileName() + (Files.isDirectory(p) ? "/" : ""))
                    .filter(name -> !named.contains(name)).forEach(unnamed::add);
        }
        try (Stream<Path> top = Files.list(Path.of(""))) {
            top.map(p -> p.getFileName().toString())
                    .filter(name -> !UNLISTED.contains(name) && !name.startsWith("."))
                    .filter(name -> Files.isRegularFile(Path.of(name)) ? !named.contains(name) : !named.contains(name + "/"))
                    .filter(ProjectLayoutTest::tracked)
                    .forEach(unnamed::add);
        }
        assertThat(unnamed).as("packages and top-level entries missing from the layout of docs/development.md").isEmpty();
    }

    /** The first word of each line of the layout block that names a path (continuation lines start with blanks). */
    private static List<String> layoutPaths() throws IOException {
        String page = Files.readString(Path.of("docs/development.md"));
        int start = page.indexOf("```", page.indexOf("## Project layout"));
        String block = page.substring(page.indexOf('\n', start) + 1, page.indexOf("```", start + 3));
        List<String> paths = new ArrayList<>();
        for (String line : block.split("\n")) {
            String trimmed = line.strip();
            boolean underCode = line.startsWith("  ") && !line.startsWith("   ") && !trimmed.isEmpty();
            if (!line.startsWith(" ") && !trimmed.isEmpty() || underCode) {
                String first = trimmed.split("\\s{2,}")[0];
                for (String path : first.split(",\\s*")) {
                    paths.add(path.strip());
                }
            }
        }
        return paths;
    }

    /** Directories a run leaves behind (demo servers, data) are not the project's: only what the build ships. */
    private static boolean tracked(String name) {
        return !Set.of("demo", "data", "node_modules").contains(name);
    }
}
