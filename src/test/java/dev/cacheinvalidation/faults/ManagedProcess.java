package dev.cacheinvalidation.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;

/**
 * One application process of a scenario ({@code java -jar target/cache-invalidation.jar <role>}) across its
 * incarnations: started, killed with SIGKILL, started again on the same launch (and so the same data directory and
 * binlog identity), and, like a supervisor would, restarted when it exits by itself (counted: an unexpected exit is
 * worth a look even when nothing was lost). Each incarnation is an {@link AppProcess}.
 */
final class ManagedProcess {

    private final String label;
    private final AppProcess.Launch launch;
    private final List<AppProcess> incarnations = new ArrayList<>();
    private AppProcess current;
    private boolean supervised;
    private int kills;
    private int unexpectedExits;

    ManagedProcess(String label, String role, Map<String, String> properties, Map<String, String> env) {
        this.label = label;
        this.launch = AppProcess.ofJar(role).properties(properties).env(env).name(label);
    }

    synchronized void start() throws IOException {
        current = launch.start();
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
            System.err.println("[faults] " + label + " exited by itself; last lines:\n" + current.tail(15));
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
        incarnations.forEach(AppProcess::killNow);
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

    /** The current incarnation's last lines, for a failure message. */
    synchronized String tail(int lines) {
        return current != null ? current.tail(lines) : "";
    }

    /** Output lines of all incarnations that contain the fragment. */
    synchronized List<String> lines(String fragment) {
        List<String> found = new ArrayList<>();
        incarnations.forEach(process -> found.addAll(process.lines(fragment)));
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
}
