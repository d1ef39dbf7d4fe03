package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Redis goes away while a change is on its way: the pipeline holds the batch, readiness says why, and once Redis
 * is back the change is delivered and its keys deleted without anyone stepping in. While the batch waits, the
 * offset gate shows in readiness and its metric that the saved position does not follow.
 */
class RedisOutageIT {

    @TempDir
    Path dataDir;

    @Test
    void aChangeMadeWhileRedisIsDownIsDeliveredOnceRedisIsBackAndReadinessTellsMeanwhile() throws Exception {
        TestServers servers = TestServers.local();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Map<String, String> props = RunningApp.defaults(servers, "redis-outage-it", dataDir);
        props.put("camel.management.enabled", "true");
        props.put("camel.management.port", Integer.toString(port));
        props.put("camel.health.exposureLevel", "full");
        props.put("cdc.gateStuckAfterMs", "2000");
        URI ready = URI.create("http://localhost:" + port + "/observe/health/ready");
        HttpClient http = HttpClient.newHttpClient();
        try (RunningApp app = RunningApp.start(RunningApp.ALL, props)) {
            assertThat(get(http, ready).statusCode()).isEqualTo(200);
            try (Jedis jedis = servers.redis()) {
                jedis.set("product:1", "cached");
                jedis.shutdown();
            } catch (Exception closedByShutdown) {
                // SHUTDOWN closes the connection under us
            }
            try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
                statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = 1");
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                HttpResponse<String> response = get(http, ready);
                assertThat(response.statusCode()).isEqualTo(503);
                assertThat(response.body()).contains("cannot write to Redis");
                // the offset gate tells that the position no longer follows, and how many records wait
                assertThat(response.body()).contains("records wait for the stream and nothing was delivered");
                assertThat(get(http, URI.create("http://localhost:" + port + "/observe/metrics")).body())
                        .containsPattern("cache_invalidation_gate_undelivered\\{[^}]*connector=\"redis-outage-it\"[^}]*} [1-9]");
            });
            Thread.sleep(2000);
            Servers.start();
            try (Jedis jedis = servers.redis()) {
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !jedis.exists("product:1"));
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> get(http, ready).statusCode() == 200);
        } finally {
            Servers.start();
        }
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
