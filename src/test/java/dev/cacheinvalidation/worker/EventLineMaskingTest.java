package dev.cacheinvalidation.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MarkerFactory;

/**
 * The worker's per-event line skips the secret-masking replacements (log4j2.properties), and nothing else does:
 * another line of the same class is masked. Run in a JVM of its own, with the application's logging
 * configuration, and read from its output.
 */
class EventLineMaskingTest {

    @Test
    void onlyTheMarkedEventLineIsWrittenUnmaskedAndOnlyOnce() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Lines.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(output).containsOnlyOnce("Invalidator - Invalidated 5 keys for app.users");
        assertThat(output).contains("Invalidator - could not reach redis://user:***@cache:6379")
                .doesNotContain("s3cret");
    }

    /** The lines: the event line with its marker, then an error line of the same logger holding a password. */
    public static final class Lines {
        public static void main(String[] args) throws IOException {
            Logger log = LoggerFactory.getLogger(Invalidator.class);
            log.info(MarkerFactory.getMarker("CACHE_INVALIDATED"), "Invalidated {} keys for {}", 5, "app.users");
            log.warn("could not reach redis://user:s3cret@cache:6379");
            org.apache.logging.log4j.LogManager.shutdown();
        }
    }
}
