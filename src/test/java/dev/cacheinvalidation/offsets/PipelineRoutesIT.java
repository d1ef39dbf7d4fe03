package dev.cacheinvalidation.offsets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.Application;
import dev.cacheinvalidation.Application.Role;
import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.DebeziumSourceBlock;
import dev.cacheinvalidation.it.SeedScenario;
import dev.cacheinvalidation.it.TestServers;
import dev.cacheinvalidation.js.ScriptFailurePolicy;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.DefaultRegistry;
import org.apache.camel.test.junit5.CamelContextConfiguration;
import org.apache.camel.test.junit5.TestExecutionConfiguration;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.args.ClientPauseMode;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The real pipeline route ({@code routes/cdc-to-stream.camel.yaml} with {@code application.properties}, loaded by
 * Camel Main as the application loads it) on Camel's test support, writing to the build's real Redis. Only the
 * binlog is left out: AdviceWith replaces the {@code debezium-mysql:} source with {@code direct:} before the
 * context starts, so no endpoint of it is ever created, and the test sends the records the Debezium consumer would
 * (Kafka Connect Structs with Debezium's headers). A mock at the writer's entry shows the batches as they leave the
 * aggregator; everything after it is the route as it runs.
 */
class PipelineRoutesIT extends CamelMainTestSupport {

    private static final String CONNECTOR = "pipeline-routes-it";
    private static final String STREAM = "pipeline-routes-it:invalidations";
    private static final String DEAD_LETTERS = STREAM + ":dlq";
    private static final String BINLOG = "direct:binlog";
    private static final String WRITER_BATCHES = "mock:writer-batches";
    private static final int MAX_EVENTS = 3;
    private static final int HARD_CAP = 5;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Schema USER = SchemaBuilder.struct().name(CONNECTOR + ".app.users.Value")
            .field("id", Schema.INT32_SCHEMA)
            .field("name", Schema.OPTIONAL_STRING_SCHEMA)
            .field("email", Schema.OPTIONAL_STRING_SCHEMA)
            .build();

    private static final Schema TRANSACTION_KEY = SchemaBuilder.struct()
            .name("io.debezium.connector.common.TransactionMetadataKey")
            .field("id", Schema.STRING_SCHEMA)
            .build();

    private final TestServers servers = TestServers.local();
    private long recordsSent;
    private long binlogPosition = 4;

    @Override
    protected String getPropertyPlaceholderLocations() {
        return Application.PROPERTIES_LOCATION;
    }

    @Override
    protected void configure(MainConfigurationProperties main) {
        // as Application configures Camel Main for the pipeline role
        main.setBasePackageScanEnabled(false);
        main.setRoutesIncludePattern(Role.PIPELINE.routesIncludePattern());
        // sealed from this JVM's environment, as Application.sealFromProcess(Main) seals the tests' own Mains
        main.setAutoConfigurationEnvironmentVariablesEnabled(false);
        main.setAutoConfigurationSystemPropertiesEnabled(false);
    }

    /** The test support makes the context with this registry before its Camel Main reads a setting: sealed then. */
    @Override
    protected Registry createCamelRegistry() {
        return new DefaultRegistry() {
            @Override
            public void setCamelContext(CamelContext camelContext) {
                super.setCamelContext(camelContext);
                Application.sealFromProcess(camelContext);
            }
        };
    }

    @Override
    public void configureContext(CamelContextConfiguration context) {
        super.configureContext(context);
        Properties overrides = new Properties();
        // never connected to: the source is replaced before any endpoint of it exists
        overrides.setProperty("cdc.dsn", "mysql://nobody:unused@127.0.0.1:1/app");
        overrides.setProperty("cdc.name", CONNECTOR);
        overrides.setProperty("redis.uri", TestServers.local().redisUri());
        overrides.setProperty("stream.key", STREAM);
        overrides.setProperty("stream.deadLetterKey", DEAD_LETTERS);
        overrides.setProperty("batch.maxEvents", Integer.toString(MAX_EVENTS));
        overrides.setProperty("batch.hardCap", Integer.toString(HARD_CAP));
        overrides.setProperty("script.file",
                "routes/cache-keys.js,routes/table-keys.js,src/test/resources/routes/fails-on-broken-table.js");
        overrides.setProperty("script.reloadCheckMs", "0");
        overrides.setProperty("camel.main.name", CONNECTOR);
        overrides.setProperty("camel.management.enabled", "false");
        context.withUseOverridePropertiesWithPropertiesComponent(overrides);
    }

    @Override
    public void configureTest(TestExecutionConfiguration test) {
        super.configureTest(test);
        // the context starts only once the source is replaced: debezium-mysql: would connect as it is created
        test.withUseAdviceWith(true);
    }

    @BeforeEach
    void replaceTheBinlogAndStart() throws Exception {
        AdviceWith.adviceWith(context, "cdc-to-stream", route -> route.replaceFromWith(BINLOG));
        AdviceWith.adviceWith(context, "cdc-to-stream-writer", route -> route.weaveAddFirst().to(WRITER_BATCHES));
        try (Jedis jedis = servers.redis()) {
            jedis.del(STREAM, DEAD_LETTERS);
        }
        context.start();
    }

    @Test
    void wholeTransactionsStayTogetherInOrderAndOneAboveTheHardCapArrivesInSlices() throws Exception {
        transaction("0-1-1", 1, 2);
        transaction("0-1-2", 3, 2);
        transaction("0-1-3", 5, 12);
        transaction("0-1-4", 17, 1);

        Awaitility.await().atMost(WAIT).until(() -> streamEvents(STREAM).size() >= 17);
        List<JsonNode> written = streamEvents(STREAM);
        assertThat(written).extracting(event -> event.path("after").path("id").asInt())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 17).boxed().toList());
        assertThat(written).extracting(event -> event.path("tx").asText()).containsExactly(
                "0-1-1", "0-1-1", "0-1-2", "0-1-2",
                "0-1-3", "0-1-3", "0-1-3", "0-1-3", "0-1-3", "0-1-3",
                "0-1-3", "0-1-3", "0-1-3", "0-1-3", "0-1-3", "0-1-3",
                "0-1-4");

        List<List<ChangeEvent>> batches = writerBatches();
        assertThat(batches.stream().flatMap(List::stream).map(event -> event.after().get("id")).toList())
                .as("the batches, one after the other, are the changes in binlog order")
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 17).boxed().toList());
        for (String whole : List.of("0-1-1", "0-1-2", "0-1-4")) {
            assertThat(batches).as("transaction %s in one batch", whole)
                    .filteredOn(batch -> batch.stream().anyMatch(event -> whole.equals(event.tx()))).hasSize(1);
        }
        List<List<ChangeEvent>> slices = batches.stream()
                .filter(batch -> batch.stream().anyMatch(event -> "0-1-3".equals(event.tx()))).toList();
        assertThat(slices).as("12 changes with a hard cap of 5").hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(slice -> assertThat(slice).hasSizeLessThanOrEqualTo(HARD_CAP));

        OffsetGate gate = gate();
        Awaitility.await().atMost(WAIT).until(() -> gate.deliveredUpTo() == recordsSent);
        assertThat(gate.problem()).isNull();
    }

    @Test
    void theSeedsEmailChangeWritesExactlyTheSeedsFiveKeys() throws Exception {
        String newEmail = "alice.new@example.com";
        begin("0-1-7");
        change("0-1-7", "users", user(1, "alice@example.com"), user(1, newEmail));
        end("0-1-7");

        Awaitility.await().atMost(WAIT).until(() -> !streamEvents(STREAM).isEmpty());
        List<JsonNode> written = streamEvents(STREAM);
        assertThat(written).hasSize(1);
        List<String> keys = new ArrayList<>();
        written.get(0).path("after").path("_cache_keys").forEach(key -> keys.add(key.asText()));
        assertThat(keys).containsExactlyInAnyOrderElementsOf(SeedScenario.aliceKeys(newEmail));
    }

    @Test
    void aBatchWhoseScriptThrowsGoesToTheDeadLetterStreamWithTheErrorAndTheNextOneToTheStream() throws Exception {
        begin("0-1-8");
        change("0-1-8", "broken", user(4, "a@example.com"), user(4, "b@example.com"));
        change("0-1-8", "broken", user(5, "c@example.com"), user(5, "d@example.com"));
        end("0-1-8");

        Awaitility.await().atMost(WAIT).until(() -> deadLetters().size() >= 2);
        List<StreamEntry> letters = deadLetters();
        assertThat(letters).hasSize(2).allSatisfy(letter -> assertThat(letter.getFields().get("error"))
                .contains("cannot handle app.broken", "fails-on-broken-table.js:7"));
        assertThat(letters).extracting(letter -> JSON.readTree(letter.getFields().get("event")).path("after")
                .path("id").asInt()).containsExactly(4, 5);
        OffsetGate gate = gate();
        Awaitility.await().atMost(WAIT).until(() -> gate.deliveredUpTo() == recordsSent);
        assertThat(gate.problem()).as("a dead-lettered batch is delivered: to the dead-letter stream").isNull();

        transaction("0-1-9", 6, 1);
        Awaitility.await().atMost(WAIT).until(() -> !streamEvents(STREAM).isEmpty());
        assertThat(streamEvents(STREAM)).extracting(event -> event.path("after").path("id").asInt()).containsExactly(6);
        Awaitility.await().atMost(WAIT).until(() -> gate.deliveredUpTo() == recordsSent);
    }

    @Test
    void withPolicyFailAFailedBatchStaysUndeliveredAndReadinessSaysWhy() throws Exception {
        context.getRegistry().findSingleByType(ScriptFailurePolicy.class).setPolicy("fail");
        OffsetGate gate = gate();
        begin("0-1-10");
        change("0-1-10", "broken", user(4, "a@example.com"), user(4, "b@example.com"));
        end("0-1-10");

        Awaitility.await().atMost(WAIT).until(() -> gate.problem() != null);
        assertThat(gate.problem()).contains("records 1..3 did not reach the stream", "cannot handle app.broken");
        assertThat(gate.deliveredUpTo()).as("the saved position stays before the batch").isZero();
        HealthCheck.Result readiness = HealthCheckHelper.invokeReadiness(context).stream()
                .filter(result -> result.getCheck().getId().equals("offset-gate-" + CONNECTOR))
                .findFirst().orElseThrow();
        assertThat(readiness.getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(readiness.getMessage()).hasValueSatisfying(
                message -> assertThat(message).contains("records 1..3 did not reach the stream"));
        assertThat(streamEvents(STREAM)).isEmpty();
        assertThat(deadLetters()).isEmpty();
    }

    @Test
    void recordsCountAsDeliveredOnlyOnceTheirEntriesAreInRedis() throws Exception {
        OffsetGate gate = gate();
        MockEndpoint writer = getMockEndpoint(WRITER_BATCHES);
        try (Jedis jedis = servers.redis()) {
            // writes wait while reads go on: the batch reaches the writer and stays there
            jedis.clientPause(WAIT.toMillis(), ClientPauseMode.WRITE);
            try {
                transaction("0-1-11", 1, 3);
                Awaitility.await().atMost(WAIT).until(() -> writer.getReceivedCounter() >= 1);
                assertThat(jedis.xlen(STREAM)).isZero();
                assertThat(gate.deliveredUpTo()).as("nothing delivered while the stream holds nothing").isZero();
                assertThat(gate.undelivered()).isEqualTo(recordsSent);
            } finally {
                jedis.clientUnpause();
            }
            Awaitility.await().atMost(WAIT).until(() -> gate.deliveredUpTo() == recordsSent);
            assertThat(streamEvents(STREAM)).extracting(event -> event.path("after").path("id").asInt())
                    .containsExactly(1, 2, 3);
        }
    }

    private OffsetGate gate() {
        return context.getRegistry().findSingleByType(OffsetGate.class);
    }

    /** The batches in the order they reached the writer. */
    private List<List<ChangeEvent>> writerBatches() {
        List<List<ChangeEvent>> batches = new ArrayList<>();
        for (Exchange exchange : getMockEndpoint(WRITER_BATCHES).getReceivedExchanges()) {
            batches.add(List.copyOf(exchange.getProperty(EventBatch.PROPERTY, EventBatch.class).events()));
        }
        return batches;
    }

    private List<JsonNode> streamEvents(String stream) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        try (Jedis jedis = servers.redis()) {
            for (StreamEntry entry : jedis.xrange(stream, "-", "+")) {
                events.add(JSON.readTree(entry.getFields().get("event")));
            }
        }
        return events;
    }

    private List<StreamEntry> deadLetters() {
        try (Jedis jedis = servers.redis()) {
            return jedis.xrange(DEAD_LETTERS, "-", "+");
        }
    }

    /** A transaction of {@code rows} email changes of users {@code firstId}, {@code firstId + 1}, ... */
    private void transaction(String tx, int firstId, int rows) {
        begin(tx);
        for (int id = firstId; id < firstId + rows; id++) {
            change(tx, "users", user(id, "old" + id + "@example.com"), user(id, "new" + id + "@example.com"));
        }
        end(tx);
    }

    private void begin(String tx) {
        boundary(tx);
    }

    private void end(String tx) {
        boundary(tx);
    }

    /** BEGIN and END look alike: the first record of an id opens the transaction, the second closes it. */
    private void boundary(String tx) {
        Map<String, Object> headers = new HashMap<>();
        headers.put(DebeziumConstants.HEADER_IDENTIFIER, CONNECTOR + ".transaction");
        headers.put(DebeziumConstants.HEADER_KEY, new Struct(TRANSACTION_KEY).put("id", tx));
        send(null, headers);
    }

    private void change(String tx, String table, Struct before, Struct after) {
        Map<String, Object> headers = new HashMap<>();
        headers.put(DebeziumConstants.HEADER_IDENTIFIER, CONNECTOR + ".app." + table);
        headers.put(DebeziumConstants.HEADER_OPERATION, "u");
        headers.put(DebeziumConstants.HEADER_SOURCE_METADATA, source(tx, table));
        headers.put(DebeziumConstants.HEADER_BEFORE, before);
        send(after, headers);
    }

    private void send(Object body, Map<String, Object> headers) {
        template.sendBodyAndHeaders(BINLOG, body, headers);
        recordsSent++;
    }

    private Map<String, Object> source(String tx, String table) {
        return new DebeziumSourceBlock(CONNECTOR, "app", table, tx, "mysql-bin.000001", binlogPosition++, 0, 1L,
                1_760_000_000_000L).toHeader();
    }

    private static Struct user(int id, String email) {
        return new Struct(USER).put("id", id).put("name", "user " + id).put("email", email);
    }
}
