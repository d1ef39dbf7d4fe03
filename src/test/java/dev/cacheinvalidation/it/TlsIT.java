package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.Reader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The seed scenario over TLS to both servers: a MariaDB that accepts TLS connections only
 * ({@code require_secure_transport}) and a Redis TLS port, both with a certificate of a certificate authority the
 * test makes. A wrong trust setup stops the start with one line that names the fix.
 */
class TlsIT {

    private static final String TRUSTSTORE_PASSWORD = "changeit";

    @TempDir
    static Path dir;

    static Path serversDir;
    static TestServers servers;
    static int tlsPort;

    @BeforeAll
    static void startServersWithTls() throws Exception {
        assumeTrue(run(dir, "openssl", "version") == 0, "openssl makes the test's certificates");
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key",
                "-out", "ca.pem", "-subj", "/CN=cache-invalidation test CA");
        run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=localhost");
        Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
        run(dir, "openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "server.ext", "-out", "server.pem");
        run(dir, Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt",
                "-alias", "test-ca", "-file", "ca.pem", "-keystore", "truststore.p12", "-storetype", "PKCS12",
                "-storepass", TRUSTSTORE_PASSWORD);
        assertThat(dir.resolve("truststore.p12")).exists();

        try (ServerSocket socket = new ServerSocket(0)) {
            tlsPort = socket.getLocalPort();
        }
        serversDir = dir.resolve("servers");
        String certs = "--ssl-ca=" + dir.resolve("ca.pem") + " --ssl-cert=" + dir.resolve("server.pem") + " --ssl-key="
                + dir.resolve("server.key");
        ProcessBuilder start = servers("start");
        start.environment().put("MARIADB_EXTRA_ARGS", certs + " --require-secure-transport=ON");
        start.environment().put("REDIS_EXTRA_ARGS", "--tls-port " + tlsPort + " --tls-cert-file " + dir.resolve("server.pem")
                + " --tls-key-file " + dir.resolve("server.key") + " --tls-ca-cert-file " + dir.resolve("ca.pem")
                + " --tls-auth-clients no");
        int exit = waitFor(start.start());
        if (exit != 0) {
            String redisLog = Files.readString(serversDir.resolve("redis/redis.log"));
            assumeTrue(!redisLog.contains("tls-port"), "this redis-server is built without TLS");
        }
        assertThat(exit).as("scripts/servers.sh start with TLS").isZero();
        Properties env = new Properties();
        try (Reader reader = Files.newBufferedReader(serversDir.resolve("env"))) {
            env.load(reader);
        }
        servers = TestServers.of(env.getProperty("MYSQL_DSN"), env.getProperty("MYSQL_ADMIN_DSN"), env.getProperty("REDIS_URI"));
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (serversDir != null) {
            waitFor(servers("stop").start());
        }
    }

    @Test
    void seedScenarioOverTlsToBothServers(@TempDir Path dataDir) throws Exception {
        SeedScenario.resetAlice(servers);
        List<String> jvm = List.of("-Djavax.net.ssl.trustStore=" + dir.resolve("truststore.p12"),
                "-Djavax.net.ssl.trustStorePassword=" + TRUSTSTORE_PASSWORD);
        Map<String, String> env = Map.of("MYSQL_DSN", servers.mysqlDsn() + "?sslMode=verify-full",
                "REDIS_URI", "rediss://127.0.0.1:" + tlsPort);
        try (AppProcess app = AppProcess.jar(jvm, "all", Map.of("cdc.dataDir", dataDir.toString(), "cdc.name", "tls-it"), env)) {
            app.awaitLine("Connected to binlog", Duration.ofSeconds(90));
            SeedScenario.setKeys(servers, "alice.tls@example.com");
            try (var db = servers.admin(); var sql = db.createStatement()) {
                sql.executeUpdate("UPDATE users SET email = 'alice.tls@example.com' WHERE id = 1");
            }
            app.awaitLine("Invalidated 5 keys for app.users", Duration.ofSeconds(30));
            try (Jedis jedis = servers.redis()) {
                for (String key : SeedScenario.aliceKeys("alice.tls@example.com")) {
                    assertThat(jedis.exists(key)).as(key).isFalse();
                }
                for (String key : SeedScenario.CONTROL) {
                    assertThat(jedis.exists(key)).as(key).isTrue();
                }
            }
        } finally {
            SeedScenario.resetAlice(servers);
        }
    }

    @Test
    void anUntrustedDatabaseCertificateStopsTheStartWithOneLineNamingTheFix(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = Map.of("MYSQL_DSN", servers.mysqlDsn() + "?sslMode=verify-ca",
                "REDIS_URI", "rediss://127.0.0.1:" + tlsPort);
        try (AppProcess app = AppProcess.jar("pipeline", Map.of("cdc.dataDir", dataDir.toString()), env)) {
            assertThat(app.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(app.output()).contains("configuration error: TLS to 127.0.0.1:", "certificate is not trusted",
                    "-Djavax.net.ssl.trustStore=").doesNotContain("\tat ");
        }
    }

    @Test
    void anUntrustedRedisCertificateIsReportedInOneLineNamingTheFix() throws Exception {
        Map<String, String> env = Map.of("REDIS_URI", "rediss://127.0.0.1:" + tlsPort);
        try (AppProcess worker = AppProcess.jar("worker", Map.of(), env)) {
            worker.awaitLine("TLS to Redis failed: the server's certificate is not trusted", Duration.ofSeconds(60));
            assertThat(worker.output()).contains("-Djavax.net.ssl.trustStore=");
        }
    }

    @Test
    void aDsnWithoutTlsToAServerThatDemandsItSaysWhatToAdd(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", "rediss://127.0.0.1:" + tlsPort);
        try (AppProcess app = AppProcess.jar("pipeline", Map.of("cdc.dataDir", dataDir.toString()), env)) {
            assertThat(app.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(app.output()).contains("accepts TLS connections only", "?sslMode=verify-ca");
        }
    }

    private static ProcessBuilder servers(String command) {
        ProcessBuilder builder = new ProcessBuilder("bash", "scripts/servers.sh", command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("SERVERS_DIR", serversDir.toString());
        return builder;
    }

    private static int run(Path workDir, String... command) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(line).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        try {
            return waitFor(builder.start());
        } catch (IOException notInstalled) {
            return 127;
        }
    }

    private static int waitFor(Process process) throws InterruptedException {
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
