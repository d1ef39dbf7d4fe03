package dev.cacheinvalidation.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/** A process of ours (the packaged jar, or a Node worker), its output collected line by line. */
public final class AppProcess implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private AppProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "output-of-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    public static AppProcess start(List<String> command, Map<String, String> env, Path workDir) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        return new AppProcess(builder.start());
    }

    /** {@code java [-Dkey=value...] -jar target/cache-invalidation.jar <role>} from the project directory. */
    public static AppProcess jar(String role, Map<String, String> systemProperties, Map<String, String> env) throws IOException {
        return jar(List.of(), role, systemProperties, env);
    }

    /** The same with JVM options first ({@code @target/graal.args}, say). */
    public static AppProcess jar(List<String> jvmOptions, String role, Map<String, String> systemProperties,
            Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // as everywhere the application is started: an OutOfMemoryError ends the process
        command.add("-XX:+ExitOnOutOfMemoryError");
        command.addAll(jvmOptions);
        if (!systemProperties.containsKey("camel.management.enabled") && !systemProperties.containsKey("camel.management.port")) {
            // several of our processes run side by side in tests: no fixed HTTP port
            command.add("-Dcamel.management.enabled=false");
        }
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add("target/cache-invalidation.jar");
        command.add(role);
        return start(command, env, Path.of("").toAbsolutePath());
    }

    public void awaitLine(String fragment, Duration atMost) {
        Awaitility.await("output line containing '" + fragment + "'").atMost(atMost).pollInterval(Duration.ofMillis(100))
                .until(() -> hasLine(fragment) || !process.isAlive() && hasLine(fragment));
    }

    public boolean hasLine(String fragment) {
        return lines.stream().anyMatch(line -> line.contains(fragment));
    }

    public String output() {
        return String.join("\n", lines);
    }

    public int awaitExit(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process did not exit within " + atMost + "; output:\n" + output());
        }
        // let the reader drain what is left
        Thread.sleep(100);
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, no chance to clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM, as a container runtime stops a process. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
