package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import dev.cacheinvalidation.stream.StreamClient;
import dev.cacheinvalidation.metrics.Meters;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * Freshness you can watch: every panel of the Grafana dashboard ({@code deploy/grafana}) shows data when a real
 * Prometheus, with the scrape jobs of {@code deploy/prometheus}, scrapes a running pipeline and worker through some
 * changes; a change left unacknowledged longer than {@code worker.maxChangeAgeMs} takes the worker's readiness DOWN,
 * and its acknowledgement brings it back; the oldest unacknowledged entry is found whether it is pending or not read
 * yet.
 */
class FreshnessIT {

    private static final String GROUP = "cache-workers";
    private static final Path DASHBOARD = Path.of("deploy/grafana/cache-invalidation.json");

    @TempDir
    Path dataDir;

    @Test
    void everyPanelOfTheDashboardShowsDataWhenPrometheusScrapesARunningPipelineAndWorker() throws Exception {
        Optional<Path> binary = LocalPrometheus.binary();
        assumeTrue(binary.isPresent(), "no prometheus binary on the PATH (nor -Dprometheus.binary): the dashboard's"
                + " queries are not run here; install Prometheus (Debian: apt-get install prometheus) to run them");
        TestServers servers = TestServers.local();
        String stream = "freshness-it:dashboard:" + System.nanoTime();
        int pipelinePort = AppProcess.freePort();
        int workerPort = AppProcess.freePort();
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        try (AppProcess pipeline = AppProcess.jar("pipeline", appProperties("freshness-it-pipeline", stream, pipelinePort),
                        env(servers));
                AppProcess worker = AppProcess.jar("worker", appProperties("freshness-it-worker", stream, workerPort),
                        env(servers));
                LocalPrometheus prometheus = LocalPrometheus.start(binary.get(), dataDir.resolve("prometheus"), Map.of(
                        "pipeline", "127.0.0.1:" + pipelinePort, "worker", "127.0.0.1:" + workerPort))) {
            pipeline.awaitLine("Connected to binlog", Duration.ofSeconds(90));
            worker.awaitLine("reading stream " + stream, Duration.ofSeconds(90));

            // changes keep coming while the queries are tried: every rate over the window has some to show
            Awaitility.await("every panel's query returns data").atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                        change(servers);
                        assertThat(panelsWithoutData(prometheus, dashboard)).as("panels without data; targets: "
                                + prometheus.targets()).isEmpty();
                    });
            JsonNode freshness = prometheus.query(concrete(target(dashboard, "Freshness by table", "A"), dashboard));
            List<String> tables = new ArrayList<>();
            freshness.forEach(series -> tables.add(series.get("metric").get("table").asText()));
            assertThat(tables).contains("app.users", "app.products");
            assertThat(pipeline.isAlive() && worker.isAlive()).as(pipeline.tail(20) + worker.tail(20)).isTrue();
        }
    }

    @Test
    void aChangeLeftUnacknowledgedPastTheBoundTakesReadinessDownUntilItIsAcknowledged() throws Exception {
        TestServers servers = TestServers.local();
        String stream = "freshness-it:age:" + System.nanoTime();
        Map<String, String> props = RunningApp.defaults(servers, "freshness-it-age", dataDir);
        props.put("stream.key", stream);
        props.put("worker.maxChangeAgeMs", "3000");
        try (Jedis jedis = servers.redis()) {
            // another consumer of the group reads the entry and never acknowledges it: a worker stuck on it (the
            // worker would take it over only after worker.claimIdleMs, a minute)
            jedis.xgroupCreate(stream, GROUP, new StreamEntryID(0, 0), true);
            StreamEntryID stuck = jedis.xadd(stream, StreamEntryID.NEW_ENTRY,
                    Map.of("event", "{\"table\":\"app.users\",\"after\":{\"_cache_keys\":[\"user:1\"]}}"));
            jedis.xreadGroup(GROUP, "stuck-consumer", XReadGroupParams.xReadGroupParams().count(1),
                    Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
            try (RunningApp worker = RunningApp.start(RunningApp.WORKER, props)) {
                Awaitility.await("readiness DOWN").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(readinessDown(worker)).hasValueSatisfying(result -> assertThat(result.getMessage())
                                .hasValueSatisfying(message -> assertThat(message)
                                        .contains("the oldest entry group " + GROUP + " has not acknowledged")
                                        .contains("(more than 3000)"))));
                assertThat(Meters.registry(worker.context()).get("redis_stream_group_oldest_unacked_age_seconds")
                        .tag("stream", stream).gauge().value()).isGreaterThan(3.0);

                jedis.xack(stream, GROUP, stuck);
                Awaitility.await("readiness UP again").atMost(Duration.ofSeconds(30))
                        .until(() -> readinessDown(worker).isEmpty());
            }
        }
    }

    @Test
    void theOldestUnacknowledgedEntryIsTheOldestPendingOneElseTheFirstNotReadYet() {
        TestServers servers = TestServers.local();
        String stream = "freshness-it:stats:" + System.nanoTime();
        try (Jedis jedis = servers.redis();
                StreamClient client = new StreamClient(
                        TopologyAwareRedis.at(RedisAddress.parse(servers.redisUri()), "freshness-it", 5000, 2))) {
            // entry ids of our choosing: their milliseconds are the times the stats report
            jedis.xgroupCreate(stream, GROUP, new StreamEntryID(0, 0), true);
            for (long ms = 1000; ms <= 3000; ms += 1000) {
                jedis.xadd(stream, new StreamEntryID(ms, 0), Map.of("event", "{}"));
            }
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("none read yet").isEqualTo(1000);

            jedis.xreadGroup(GROUP, "c", XReadGroupParams.xReadGroupParams().count(2),
                    Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("two pending").isEqualTo(1000);

            jedis.xack(stream, GROUP, new StreamEntryID(1000, 0));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("one pending").isEqualTo(2000);

            jedis.xack(stream, GROUP, new StreamEntryID(2000, 0));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("none pending, one not read").isEqualTo(3000);

            jedis.xreadGroup(GROUP, "c", XReadGroupParams.xReadGroupParams().count(1),
                    Map.of(stream, StreamEntryID.UNRECEIVED_ENTRY));
            jedis.xack(stream, GROUP, new StreamEntryID(3000, 0));
            assertThat(client.stats(stream, GROUP).oldestUnackedMs()).as("all acknowledged").isEqualTo(-1);
        }
    }

    /**
     * The panels (title and refId) whose query returns no series, or only NaN: each target's expression as Grafana
     * would send it, its variables given fixed values.
     */
    private static List<String> panelsWithoutData(LocalPrometheus prometheus, JsonNode dashboard) throws Exception {
        List<String> empty = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                String expr = concrete(target.get("expr").asText(), dashboard);
                boolean shows = false;
                for (JsonNode series : prometheus.query(expr)) {
                    shows |= !Double.isNaN(Double.parseDouble(series.get("value").get(1).asText()));
                }
                if (!shows) {
                    empty.add(panel.get("title").asText() + " / " + target.get("refId").asText() + ": " + expr);
                }
            }
        }
        return empty;
    }

    /**
     * The expression with Grafana's variables replaced: the interval ones by fixed windows (wide enough for a
     * scrape a second on a busy machine), the dashboard's own by their "All" value.
     */
    static String concrete(String expr, JsonNode dashboard) {
        String concrete = expr;
        for (Map.Entry<String, String> builtIn : Map.of("__rate_interval", "1m", "__interval", "15s", "__range", "5m")
                .entrySet()) {
            concrete = concrete.replace("${" + builtIn.getKey() + "}", builtIn.getValue())
                    .replace("$" + builtIn.getKey(), builtIn.getValue());
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            String name = variable.get("name").asText();
            String all = variable.path("allValue").asText(".*");
            concrete = concrete.replace("${" + name + "}", all).replace("$" + name, all);
        }
        assertThat(concrete).as("variables left in " + expr).doesNotContain("$");
        return concrete;
    }

    private static String target(JsonNode dashboard, String panelTitle, String refId) {
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.get("title").asText().startsWith(panelTitle)) {
                for (JsonNode target : panel.path("targets")) {
                    if (target.get("refId").asText().equals(refId)) {
                        return target.get("expr").asText();
                    }
                }
            }
        }
        throw new AssertionError("no panel '" + panelTitle + "' with target " + refId + " in " + DASHBOARD);
    }

    private Map<String, String> appProperties(String name, String stream, int managementPort) {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("cdc.name", name + "-" + System.nanoTime());
        props.put("cdc.serverId", Integer.toString(40_000 + (int) (System.nanoTime() % 10_000)));
        props.put("cdc.dataDir", dataDir.resolve(name).toString());
        props.put("stream.key", stream);
        props.put("stream.deadLetterKey", stream + ":dlq");
        props.put("worker.blockMs", "500");
        props.put("camel.management.enabled", "true");
        props.put("camel.management.host", "127.0.0.1");
        props.put("camel.management.port", Integer.toString(managementPort));
        return props;
    }

    private static Map<String, String> env(TestServers servers) {
        return Map.of("MYSQL_DSN", servers.mysqlDsn(), "REDIS_URI", servers.redisUri());
    }

    /** A change to each of two tables, so that the freshness shows per table. */
    private static void change(TestServers servers) throws Exception {
        try (Connection db = servers.admin(); Statement statement = db.createStatement()) {
            statement.executeUpdate("UPDATE users SET name = 'freshness-" + System.nanoTime() + "' WHERE id = 2");
            statement.executeUpdate("UPDATE products SET price = price + 1 WHERE id = 2");
        }
    }

    /** The worker's readiness check, where it is DOWN (at the default exposure level UP checks are not listed). */
    private static Optional<HealthCheck.Result> readinessDown(RunningApp app) {
        return HealthCheckHelper.invokeReadiness(app.context()).stream()
                .filter(result -> result.getCheck().getId().startsWith("consumer-"))
                .filter(result -> result.getState() == HealthCheck.State.DOWN).findFirst();
    }
}
