package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code validate} runs the key script as the pipeline would, over the events of a file or over samples, and
 * prints each event's keys; no server is contacted (the decoys of the environment would fail the class, and the
 * settings name no reachable server).
 */
class ValidateIT {

    @TempDir
    Path dir;

    private final Map<String, String> noServers = Map.of("cdc.dsn", "mysql://nobody:secret@127.0.0.1:1/app",
            "redis.uri", "redis://127.0.0.1:1");

    @Test
    void theEventsOfAFileGetTheirKeysPrinted() throws Exception {
        Path events = Files.writeString(dir.resolve("events.json"), """
                [{"op":"u","table":"app.users","before":{"id":7,"email":"a@example.com","name":"A"},
                  "after":{"id":7,"email":"b@example.com","name":"A"},"tags":[]}]
                """);
        try (AppProcess validate = AppProcess.ofJar("validate").properties(noServers)
                .arguments("--events", events.toString()).start()) {
            assertThat(validate.awaitExit(Duration.ofSeconds(60))).as(validate.tail(20)).isZero();
            assertThat(validate.output()).contains("1 event(s) in, 1 out")
                    .containsPattern("app\\.users\\s+u\\s+user:7 user:email:b@example.com user:email:a@example.com user:7:orders user:7:profile");
        }
    }

    @Test
    void withoutAFileEachCapturedTableAndOperationGetsASample() throws Exception {
        try (AppProcess validate = AppProcess.ofJar("validate").properties(noServers).start()) {
            assertThat(validate.awaitExit(Duration.ofSeconds(60))).as(validate.tail(20)).isZero();
            assertThat(validate.output()).contains("16 event(s) in, 16 out")
                    .containsPattern("app\\.products\\s+t\\s+product:\\* category:\\*:products");
        }
    }

    @Test
    void aBrokenScriptEndsNonZeroWithItsFileAndLine() throws Exception {
        Path script = Files.writeString(dir.resolve("broken.js"), """
                function processBatch(events) {
                  return events.map(e => e.after.nothing.here);
                }
                """);
        Map<String, String> props = new java.util.HashMap<>(noServers);
        props.put("script.file", script.toString());
        try (AppProcess validate = AppProcess.ofJar("validate").properties(props).start()) {
            assertThat(validate.awaitExit(Duration.ofSeconds(60))).isEqualTo(1);
            assertThat(validate.output()).contains("broken.js:2", "TypeError");
        }
    }
}
