package dev.cacheinvalidation.js;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One hostile script per way out of the sandbox: each tries to reach Java, files, the network, the environment,
 * threads or processes, and must either throw or find nothing there. docs/operations.md (Security) lists these escapes.
 */
class ScriptSandboxTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "s3cr3t-sandbox-content";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Java interop                    | Java.type('java.lang.System').getenv('PATH')
            Java packages                   | Packages.java.lang.System.getenv('PATH')
            java global                     | java.lang.System.getenv('PATH')
            host class through eval string  | eval("Java.type('java.lang.Runtime')").getRuntime()
            reflection through prototypes   | (function () { return this; }).constructor('return Java')().type('java.io.File')
            global object through Function  | Function('return this')().Java.type('java.lang.Thread')
            Polyglot eval                   | Polyglot.eval('js', '1')
            Polyglot import                 | Polyglot.import('anything')
            load a file                     | load(FILE)
            load with new global            | loadWithNewGlobal(FILE)
            read a file                     | read(FILE)
            readbuffer                      | readbuffer(FILE)
            require                         | require('fs').readFileSync(FILE)
            Node process environment        | process.env.PATH
            network fetch                   | fetch('http://127.0.0.1/')
            XMLHttpRequest                  | new XMLHttpRequest()
            WebSocket                       | new WebSocket('ws://127.0.0.1/')
            worker thread                   | new Worker('x.js')
            Java thread                     | new (Java.type('java.lang.Thread'))(() => 1).start()
            timer                           | setTimeout(() => 1, 1)
            process exit                    | quit()
            process exit through exit       | exit(1)
            Graal interop object            | Graal.versionGraalVM.constructor.constructor('return Java')().type('java.lang.System')
            """)
    void anEscapeAttemptFindsNothing(String escape, String attempt) throws IOException {
        Path file = Files.writeString(dir.resolve("secret.txt"), SECRET);
        Path script = Files.writeString(dir.resolve("hostile.js"), """
                function processBatch(events) {
                  let outcome;
                  try { outcome = 'returned ' + String(ATTEMPT); } catch (e) { outcome = 'threw ' + e.name; }
                  return [{ op: 'c', table: 'sandbox.probe', after: { outcome: outcome } }];
                }
                """.replace("ATTEMPT", attempt.replace("FILE", JSON.writeValueAsString(file.toString()))));

        try (ScriptRuntime runtime = new ScriptRuntime(script, 2_000)) {
            List<String> out = runtime.processBatch("[{\"op\":\"c\",\"table\":\"app.users\",\"after\":{\"id\":1}}]");

            assertThat(out).hasSize(1);
            JsonNode outcome = JSON.readTree(out.get(0)).at("/after/outcome");
            assertThat(outcome.asText()).as(escape).startsWith("threw ");
            assertThat(out.get(0)).doesNotContain(SECRET);
        }
    }
}
