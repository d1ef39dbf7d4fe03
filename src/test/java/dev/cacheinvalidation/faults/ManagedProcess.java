package dev.cacheinvalidation.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;

/**
 * One application process of a scenario ({@code java -jar target/cache-invalidation.jar <role>}) across its
 * incarnations: started, killed with SIGKILL, started again on the same settings (and so the same data directory and
 * binlog identity), and, like a supervisor would, restarted when it exits by itself (counted: an unexpected exit is
 * worth a look even when nothing was lost).
 */
final class ManagedProcess {

    private final String label;
    private final String role;
    private final Map<String, String> properties;
    private final Map<String, String> env;
    private final List<AppProcess> incarnations = new ArrayList<>();
    private AppProcess current;
    private boolean supervised;
    private int kills;
    private int unexpectedExits;

    ManagedProcess(String label, String role, Map<String, String> properties, Map<String, String> env) {
        this.label = label;
        this.role = role;
        this.properties = new LinkedHashMap<>(properties);
        this.env = env;
    }

    synchronized void start() throws IOException {
        current = AppProcess.jar(role, properties, env);
        incarnations.add(current);
        supervised = true;
    }

    /** SIGKILL; the process stays down until {@link #start()}. */
    synchronized void kill9() throws InterruptedException {
        supervised = false;
        if (current != null) {
            current.kill();
            kills++;
        }
    }

    /** Restarts the process if it exited without being told to; true if it did. */
    synchronized boolean restartIfExited() throws IOException {
        if (supervised && current != null && !current.isAlive()) {
            unexpectedExits++;
            System.err.println("[faults] " + label + " exited by itself; last lines:\n" + tail(current.output(), 15));
            start();
            return true;
        }
        return false;
    }

    /** SIGTERM, waits for the exit. */
    synchronized void stop() {
        supervised = false;
        if (current != null && current.isAlive()) {
            try {
                current.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** SIGKILL without waiting: for a harness that is being stopped itself. */
    synchronized void destroyNow() {
        supervised = false;
        for (AppProcess process : incarnations) {
            if (process.isAlive()) {
                try {
                    process.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    synchronized boolean isAlive() {
        return current != null && current.isAlive();
    }

    String label() {
        return label;
    }

    synchronized int kills() {
        return kills;
    }

    synchronized int unexpectedExits() {
        return unexpectedExits;
    }

    /** How many output lines of all incarnations contain the fragment. */
    synchronized long countLines(String fragment) {
        long count = 0;
        for (AppProcess process : incarnations) {
            for (String line : process.output().split("\n")) {
                if (line.contains(fragment)) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Output lines of all incarnations that contain the fragment. */
    synchronized List<String> lines(String fragment) {
        List<String> found = new ArrayList<>();
        for (AppProcess process : incarnations) {
            for (String line : process.output().split("\n")) {
                if (line.contains(fragment)) {
                    found.add(line);
                }
            }
        }
        return found;
    }

    /** Writes the output of every incarnation to {@code dir/<label>-<n>.log}. */
    synchronized void writeLogs(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < incarnations.size(); i++) {
            Files.writeString(dir.resolve(label + "-" + (i + 1) + ".log"), incarnations.get(i).output() + "\n",
                    StandardCharsets.UTF_8);
        }
    }

    static String tail(String output, int lines) {
        String[] all = output.split("\n");
        StringBuilder tail = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            tail.append("    ").append(all[i]).append('\n');
        }
        return tail.toString();
    }
}
