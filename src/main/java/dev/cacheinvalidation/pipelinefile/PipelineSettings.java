package dev.cacheinvalidation.pipelinefile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.config.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pipeline file's settings as a process uses them, with {@code script.file}: the inline script is written to a file
 * of a temporary directory of the process's own (removed at exit) and {@code script.file} names it. Both starts use
 * it: {@code java -jar} ({@code Application}) and {@code camel run} ({@link PipelineFilePropertiesSource}).
 */
public final class PipelineSettings {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineSettings.class);

    private PipelineSettings() {
    }

    /**
     * The settings of {@code pipeline}; without a script in the file, the class path's {@code jarScripts} (resources
     * under {@code jarDirectory}) are written to the temporary directory instead when there are any, where the working
     * directory lacks the default script files. {@code sourcesNote} ends the line that says what the file gave.
     */
    public static Map<String, String> of(PipelineFile pipeline, String jarDirectory, List<String> jarScripts,
            String sourcesNote) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>(pipeline.settings());
        PipelineFile.Script script = pipeline.script().orElse(null);
        String scriptNote = "";
        if (script != null || !jarScripts.isEmpty()) {
            Path directory = Files.createTempDirectory("cache-invalidation-pipeline"); // the owner's only
            directory.toFile().deleteOnExit();
            List<String> files = new ArrayList<>();
            if (script != null) {
                String name = script.id().matches("[A-Za-z0-9._-]+") ? script.id() + ".js" : "script.js";
                Path file = Files.writeString(directory.resolve(name), script.source(), StandardCharsets.UTF_8);
                file.toFile().deleteOnExit();
                files.add(file.toString());
                scriptNote = "; processor " + script.id() + ": lines " + script.line() + " to "
                        + (script.line() + script.source().lines().count() - 1) + " of the file, run as " + file;
            } else {
                for (String packaged : jarScripts) {
                    Path file = directory.resolve(Path.of(packaged).getFileName());
                    try (InputStream in = PipelineSettings.class.getClassLoader()
                            .getResourceAsStream(jarDirectory + packaged)) {
                        if (in == null) {
                            throw new ConfigurationException(packaged + " is neither in " + Path.of("").toAbsolutePath()
                                    + " nor in the jar");
                        }
                        Files.copy(in, file);
                    }
                    file.toFile().deleteOnExit();
                    files.add(file.toString());
                }
                scriptNote = "; script: the jar's " + String.join(" and ", jarScripts);
            }
            settings.put("script.file", String.join(",", files));
        }
        LOG.info("Pipeline file {}: pipeline {}{}; from it: {}{}{}", pipeline.file(), pipeline.name(),
                pipeline.tenant() == null ? "" : " of tenant " + pipeline.tenant(), String.join(", ", settings.keySet()),
                scriptNote, sourcesNote);
        return settings;
    }
}
