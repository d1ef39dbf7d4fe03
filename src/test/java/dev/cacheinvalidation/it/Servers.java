package dev.cacheinvalidation.it;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Drives {@code scripts/servers.sh} for tests that stop and start the servers. */
final class Servers {

    private Servers() {
    }

    /** Starts whichever of the test servers is not running, on its port and data, and waits until it answers. */
    static void start() throws Exception {
        run("start");
    }

    static void restartMariadb() throws Exception {
        run("restart-mariadb");
    }

    private static void run(String command) throws Exception {
        Path env = Path.of(System.getProperty("servers.env", "target/servers/env")).toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder("bash", "scripts/servers.sh", command).inheritIO()
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("SERVERS_DIR", env.getParent().toString());
        Process process = builder.start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("scripts/servers.sh " + command + " failed");
        }
    }
}
