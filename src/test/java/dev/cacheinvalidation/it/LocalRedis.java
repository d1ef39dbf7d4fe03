package dev.cacheinvalidation.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * One {@code redis-server} process of the installed Redis package on a free loopback port, its files in a directory
 * of its own: a node of a test cluster, a master or replica watched by Sentinel, or a sentinel.
 */
public final class LocalRedis implements AutoCloseable {

    private final Path dir;
    private final int port;
    private List<String> config;
    private final boolean sentinel;
    private Process process;

    private LocalRedis(Path dir, int port, List<String> config, boolean sentinel) {
        this.dir = dir;
        this.port = port;
        this.config = config;
        this.sentinel = sentinel;
    }

    /** Starts a server with these configuration lines (port, directory and logging are added). */
    public static LocalRedis start(Path dir, List<String> config) throws IOException {
        return start(dir, config, false, freePort());
    }

    /** Starts a sentinel with these configuration lines. */
    public static LocalRedis startSentinel(Path dir, List<String> config) throws IOException {
        return start(dir, config, true, freePort());
    }

    private static LocalRedis start(Path dir, List<String> config, boolean sentinel, int port) throws IOException {
        Files.createDirectories(dir);
        LocalRedis redis = new LocalRedis(dir, port, config, sentinel);
        redis.launch();
        return redis;
    }

    private void launch() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("port " + port);
        lines.add("bind 127.0.0.1");
        lines.add("protected-mode no");
        lines.add("dir " + dir.toAbsolutePath());
        lines.add("logfile " + dir.resolve("redis.log").toAbsolutePath());
        if (!sentinel) {
            lines.add("save \"\"");
            lines.add("appendonly no");
        }
        lines.addAll(config);
        Path conf = dir.resolve(sentinel ? "sentinel.conf" : "redis.conf");
        if (!Files.exists(conf) || !sentinel) {
            // a sentinel rewrites its file with what it learned; keep that on a restart
            Files.write(conf, lines);
        }
        List<String> command = new ArrayList<>(List.of(redisServer(), conf.toAbsolutePath().toString()));
        if (sentinel) {
            command.add("--sentinel");
        }
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        Awaitility.await("redis on port " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .ignoreExceptions().until(() -> {
                    try (Jedis jedis = new Jedis("127.0.0.1", port, 1000)) {
                        return "PONG".equals(jedis.ping());
                    }
                });
    }

    /**
     * The {@code redis-server} binary: {@code -Dredis.server=...}, else the one the build's test servers run (the
     * installed package's or the embedded one of Maven Central), else the installed package's.
     */
    static String redisServer() {
        String configured = System.getProperty("redis.server");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String testServers = TestServers.serverBinary("REDIS_SERVER");
        if (testServers != null && Files.isExecutable(Path.of(testServers))) {
            return testServers;
        }
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin:/usr/sbin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "redis-server");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new IllegalStateException("redis-server not found: install the redis-server package or set -Dredis.server");
    }

    /** A port free on loopback whose cluster bus port (+10000) is free too. */
    static int freePort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(25_000);
            if (free(port) && free(port + 10_000)) {
                return port;
            }
        }
        throw new IOException("no free port pair found");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    public HostAndPort hostAndPort() {
        return new HostAndPort("127.0.0.1", port);
    }

    public Jedis client() {
        return new Jedis("127.0.0.1", port, 5000);
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL: the server is gone without a word, as in a crash. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts the server again on its port and files. */
    public void restart() throws IOException {
        launch();
    }

    /**
     * Starts a crashed master again as a replica of the one that replaced it: without persistence it would come
     * back empty, and a master that comes back empty can be promoted again and wipe the data.
     */
    public void restartAsReplicaOf(HostAndPort master) throws IOException {
        List<String> replica = new ArrayList<>(config.stream().filter(line -> !line.startsWith("replicaof ")).toList());
        replica.add("replicaof " + master.getHost() + " " + master.getPort());
        config = replica;
        launch();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
