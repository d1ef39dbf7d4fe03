package dev.cacheinvalidation.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.batching.EventBatch;
import dev.cacheinvalidation.batching.TransactionBatchStrategy;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.SourceChange;
import dev.cacheinvalidation.event.TransactionBoundary;
import dev.cacheinvalidation.js.ScriptBatchProcessor;
import dev.cacheinvalidation.js.ScriptRuntime;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Figure 6: the JavaScript step as the pipeline runs it ({@link ScriptBatchProcessor}: EventBatch -> JSON ->
 * processBatch of routes/cache-keys.js -> one JSON text per event), on a batch of 100 seed-like events (20
 * transactions of: a users email change, a products update with a category, an orders insert, an inventory
 * update, and a delete of a product or an order), in microseconds per event. {@code toJson} and {@code scriptOnly}
 * split the step into its two halves.
 * <p>
 * {@code java -cp ... org.openjdk.jmh.Main ScriptStepBenchmark -f 1 -wi 3 -i 5}, from the project directory (or
 * with {@code -Dbench.script=<script files, comma separated>}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ScriptStepBenchmark {

    static final int BATCH = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private CamelContext camel;
    private ScriptBatchProcessor processor;
    private ScriptRuntime runtime;
    private Exchange exchange;
    private EventBatch batch;
    private String batchJson;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        camel = new DefaultCamelContext();
        batch = seedBatch(camel);
        if (batch.size() != BATCH) {
            throw new IllegalStateException("expected a batch of " + BATCH + ", built " + batch);
        }
        batchJson = JSON.writeValueAsString(batch.events());
        // the settings of application.properties (script.timeoutMs, script.memMb...)
        processor = new ScriptBatchProcessor();
        processor.setScript(System.getProperty("bench.script", "routes/cache-keys.js"));
        processor.setTimeoutMs(500);
        processor.setMemMb(128);
        processor.setRetries(2);
        processor.setBatchEvents(100);
        processor.setReloadCheckMs(1000);
        processor.start();
        List<java.nio.file.Path> files = new ArrayList<>();
        for (String file : processor.getScript().split(",")) {
            files.add(java.nio.file.Path.of(file.trim()));
        }
        runtime = new ScriptRuntime(null, files, processor.getTimeoutMs(), processor.getMemMb());
        exchange = new DefaultExchange(camel);
        List<String> out = pipelineStep();
        if (out.size() != BATCH || !out.get(0).contains("_cache_keys")) {
            throw new IllegalStateException("unexpected script output: " + out.get(0));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        processor.stop();
        runtime.close();
        camel.close();
    }

    /** The whole step, as the route calls it. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public List<String> pipelineStep() throws Exception {
        exchange.getMessage().setBody(batch);
        processor.process(exchange);
        @SuppressWarnings("unchecked")
        List<String> entries = exchange.getMessage().getBody(List.class);
        return entries;
    }

    /** First half: the batch to JSON text (Jackson). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public String toJson() throws JsonProcessingException {
        return JSON.writeValueAsString(batch.events());
    }

    /** Second half: the JSON text through processBatch and back (GraalJS). */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public List<String> scriptOnly() {
        return runtime.processBatch(batchJson);
    }

    /** Builds the batch with the pipeline's aggregation strategy, from BEGIN/changes/END records. */
    static EventBatch seedBatch(CamelContext camel) {
        TransactionBatchStrategy strategy = new TransactionBatchStrategy();
        strategy.setMaxEvents(BATCH);
        strategy.setHardCap(1000);
        strategy.setMaxBytes(4L << 20);
        Exchange group = null;
        long sequence = 0;
        long pos = 4000;
        for (int t = 0; t < BATCH / 5; t++) {
            String gtid = "0-1-" + (1000 + t);
            List<Object> records = new ArrayList<>();
            records.add(new TransactionBoundary(gtid));
            int u = 100 + t;
            records.add(event("u", "app.users", row("id", u, "email", "user" + u + "@example.com", "name", "User " + u,
                    "created_at", "2025-11-01T09:30:00.123"), row("id", u, "email", "user" + u + ".new@example.com",
                    "name", "User " + u, "created_at", "2025-11-01T09:30:00.123"), gtid, pos += 300));
            int p = 200 + t;
            records.add(event("u", "app.products", row("id", p, "name", "Widget " + p, "category_id", 10 + t % 7,
                    "price", "19.99"), row("id", p, "name", "Widget " + p, "category_id", 10 + t % 7, "price", "17.49"),
                    gtid, pos += 300));
            int o = 300 + t;
            records.add(event("c", "app.orders", null, row("id", o, "user_id", u, "total", "54.20", "status", "new"), gtid,
                    pos += 300));
            records.add(event("u", "app.inventory", row("id", 400 + t, "product_id", p, "quantity", 12),
                    row("id", 400 + t, "product_id", p, "quantity", 11), gtid, pos += 300));
            records.add(t % 2 == 0
                    ? event("d", "app.products", row("id", 500 + t, "name", "Old " + t, "category_id", 11, "price", "5.00"),
                            null, gtid, pos += 300)
                    : event("d", "app.orders", row("id", 600 + t, "user_id", u, "total", "12.00", "status", "cancelled"),
                            null, gtid, pos += 300));
            records.add(new TransactionBoundary(gtid));
            for (Object record : records) {
                Exchange next = new DefaultExchange(camel);
                next.getMessage().setBody(record);
                next.setProperty(SourceChange.SEQUENCE_PROPERTY, ++sequence);
                group = strategy.aggregate(group, next);
            }
        }
        return group.getProperty(EventBatch.PROPERTY, EventBatch.class);
    }

    private static ChangeEvent event(String op, String table, Map<String, Object> before, Map<String, Object> after,
            String gtid, long pos) {
        return new ChangeEvent(op, table, before, after, new ArrayList<>(),
                new ChangeEvent.SourcePosition("mysql-bin.000003", pos, 0, gtid, 1L, 1764240000000L + pos, (1764240000000L + pos) * 1000), gtid);
    }

    private static Map<String, Object> row(Object... columns) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < columns.length; i += 2) {
            row.put((String) columns[i], columns[i + 1]);
        }
        return row;
    }
}
