package dev.cacheinvalidation.offsets;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.batching.InFlightEvents;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.SourceChange;
import dev.cacheinvalidation.metrics.Meters;
import io.micrometer.core.instrument.Meter;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.processor.aggregate.AggregateProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's commit policy ("required"): the binlog position is saved only behind what the stream has
 * acknowledged, and the row changes in memory stay bounded.
 * <p>
 * Debezium counts a record as processed as soon as the route returns it, but the aggregator holds records and
 * writes them later, on another thread. So the protocol has three steps, each in one place:
 * <ol>
 * <li>on entry ({@link #process}, every record): an arrival number, and for a row change a place among the
 * {@link InFlightEvents} (the binlog thread waits above {@code batch.maxEventsInFlight});</li>
 * <li>on hand-over ({@link #handOver}, every batch leaving the aggregator): the batch counts as on its way, and
 * a completion is attached to its exchange, which follows it to the writer;</li>
 * <li>on completion, however the exchange ends: the range of numbers it covers is delivered (or, if it failed,
 * reported and kept undelivered) and its changes leave memory.</li>
 * </ol>
 * The offset store ({@link GatedOffsetBackingStore}) holds each offset write until every record that had arrived
 * when Debezium asked for the write has been delivered (the {@link DeliveryLedger}); what the gate knows of the
 * binlog reader and its server is its {@link BinlogReaderState}. A crash therefore replays from a position at or before the
 * first undelivered record: duplicates are possible, losses are not.
 * <p>
 * One gate per connector: it is registered among the {@link ConnectorGates} under {@code connectorName} on
 * {@link #start} and removed on {@link #stop}; the offset store finds it there by the connector name in its
 * settings. While records wait and nothing has been delivered for {@code stuckAfterMs}, or a batch failed,
 * readiness is DOWN with the reason.
 */
public final class OffsetGate implements Processor, CamelContextAware {

    private static final Logger LOG = LoggerFactory.getLogger(OffsetGate.class);

    private static final long STOP_WAIT_MS = 10_000;
    /** How long readiness stays DOWN after transactions were invalidated by table to get past a crash. */
    static final long ESCAPE_SHOWN_MS = 600_000;

    private final LongSupplier clockMs;
    private final DeliveryLedger ledger;
    private final BinlogReaderState reader = new BinlogReaderState();
    private final InFlightEvents eventsInFlight = new InFlightEvents();
    private final BatchHandOver handOver;
    private final List<Meter> meters = new ArrayList<>();
    private volatile String failure;
    private volatile boolean running;
    private String connectorName;
    private String aggregatorId;
    /** The aggregate step named by aggregatorId, found once as Camel starts. */
    private volatile AggregateProcessor aggregator;
    private long stuckAfterMs;
    private final CrashCounter crashCounter = new CrashCounter();
    private CamelContext camelContext;
    private OffsetGateHealthCheck healthCheck;

    public OffsetGate() {
        this(System::currentTimeMillis);
    }

    OffsetGate(LongSupplier clockMs) {
        this.clockMs = clockMs;
        this.ledger = new DeliveryLedger(clockMs);
        this.handOver = new BatchHandOver(ledger, eventsInFlight, this::failed);
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    /** Registers the gate under its connector name and shows its state in health. */
    public void start() {
        if (connectorName == null || connectorName.isBlank()) {
            throw new IllegalStateException("the offset gate needs its connectorName ({{cdc.name}})");
        }
        crashCounter.setConnectorName(connectorName);
        ConnectorGates.publish(connectorName, this);
        running = true;
        if (camelContext != null) {
            try {
                camelContext.addStartupListener((context, alreadyStarted) -> checkAggregator());
            } catch (Exception e) {
                throw new IllegalStateException("cannot check the aggregator the offset gate flushes", e);
            }
            healthCheck = new OffsetGateHealthCheck(connectorName, this);
            HealthCheckRegistry registry = HealthCheckRegistry.get(camelContext);
            if (registry != null) {
                registry.register(healthCheck);
            }
        }
    }

    /** Removes the gate and its health check and meters. */
    public void stop() {
        if (!running) {
            return;
        }
        running = false;
        ConnectorGates.withdraw(connectorName, this);
        if (camelContext != null && healthCheck != null) {
            HealthCheckRegistry registry = HealthCheckRegistry.get(camelContext);
            if (registry != null) {
                registry.unregister(healthCheck);
            }
        }
        synchronized (this) {
            Meters.of(camelContext).removeAll(meters);
            meters.clear();
        }
    }

    /**
     * Route step for every record, as it enters: gives it its arrival number, and a row change its place among
     * the changes in flight (waiting while {@code batch.maxEventsInFlight} are on their way to the stream).
     */
    @Override
    public void process(Exchange exchange) {
        exchange.setProperty(SourceChange.SEQUENCE_PROPERTY, arrive());
        if (exchange.getMessage().getBody() instanceof ChangeEvent event) {
            // the first change of a run, and the first of another origin server: is that server's history ours?
            reader.changeFrom(event.source() == null ? null : event.source().serverId());
        }
        if (exchange.getMessage().getBody() instanceof SourceChange change) {
            SourceChange admitted = crashCounter.admit(change);
            if (admitted != change) {
                exchange.getMessage().setBody(admitted);
            }
        }
        if (exchange.getMessage().getBody() instanceof ChangeEvent) {
            eventsInFlight.admit(this::stopping);
        }
    }

    /** How the offset store asks the server whether it continues the saved position (null: never asked). */
    void serverCheck(Supplier<Optional<String>> check) {
        reader.serverCheck(check);
    }

    long arrive() {
        return ledger.arrive();
    }

    private boolean stopping() {
        return camelContext != null && (camelContext.isStopping() || camelContext.isStopped());
    }

    /**
     * Route step as a batch leaves the aggregator for the writer: once its exchange completes, whichever way it
     * ends, the batch is reported ({@link BatchHandOver}).
     */
    public void handOver(Exchange exchange) {
        handOver.handOver(exchange);
    }

    void delivered(long first, long last) {
        ledger.delivered(first, last);
    }

    void failed(long first, long last, String error) {
        failure = "records " + first + ".." + last + " did not reach the stream (" + error
                + "); the binlog position stays before them until a restart reads them again";
        LOG.error("A batch failed: {}", failure);
    }

    /** Runs the offset write once every record that has arrived so far is delivered (now, or later). */
    void whenDelivered(Runnable write) {
        ledger.whenDelivered(write);
    }

    /** Why the position cannot follow, or null while it does; or what was done to get past a crash, for a while. */
    String problem() {
        String failed = failure;
        if (failed != null) {
            return failed;
        }
        String escape = crashCounter.recentEscape(clockMs.getAsLong(), ESCAPE_SHOWN_MS);
        if (escape != null) {
            return escape;
        }
        long waiting = undelivered();
        long quietMs = ledger.quietMs();
        if (waiting > 0 && quietMs > stuckAfterMs) {
            return waiting + " records wait for the stream and nothing was delivered for " + quietMs
                    + " ms (cdc.gateStuckAfterMs=" + stuckAfterMs + "); the binlog position is not saved meanwhile";
        }
        return null;
    }

    /** Records that have arrived and are not yet delivered. */
    long undelivered() {
        return ledger.undelivered();
    }

    /** As Camel starts: the aggregator to flush on stop must exist, or the flush would silently do nothing. */
    void checkAggregator() {
        if (aggregatorId == null || camelContext == null) {
            return;
        }
        aggregator = camelContext.getProcessor(aggregatorId, AggregateProcessor.class);
        if (aggregator == null) {
            throw new IllegalStateException("the offset gate of '" + connectorName + "' names the aggregator '"
                    + aggregatorId + "', but no aggregate step has that id: give the gate's aggregatorId the"
                    + " aggregate's id");
        }
    }

    /** Called by the offset store as Debezium configures it, once Camel's metrics registry is in place. */
    synchronized void connectorStarting() {
        if (camelContext == null || !meters.isEmpty()) {
            return;
        }
        Meters registry = Meters.of(camelContext, "connector", connectorName);
        meters.add(registry.gauge("cache_invalidation_gate_undelivered",
                "Records read from the binlog and not yet in a stream; the saved position waits for them", this,
                OffsetGate::undelivered));
        meters.add(registry.gauge("cache_invalidation_events_in_flight",
                "Row changes between the binlog reader and the stream", eventsInFlight, InFlightEvents::inFlight));
        meters.add(registry.counting("cache_invalidation_binlog_waits",
                "Times the binlog reader waited because batch.maxEventsInFlight changes were in flight", eventsInFlight,
                InFlightEvents::waits));
        meters.add(registry.counting("cache_invalidation_transactions_escaped",
                "Transactions invalidated by table instead of by row, because runs crashed reading them", crashCounter,
                CrashCounter::escapedTransactions));
    }

    /** A position was saved (everything before it is in the stream): the connector's offset, JSON. */
    void positionSaved(String offset) {
        reader.saved(offset);
        crashCounter.positionSaved(offset);
    }

    /** The last position this run saved (JSON of Debezium's offset), or null before the first. */
    public String savedOffset() {
        return reader.savedOffset();
    }

    /** The server cannot continue from the saved position: the binlog reader must not be started again. */
    void positionRefused(String why) {
        reader.refused(why);
    }

    /** The binlog reader started from a position the server accepted (true) or its offset store stopped. */
    void binlogReaderRuns(boolean runs) {
        reader.reading(runs);
    }

    /** Whether the binlog reader reads, from a position the server accepted. */
    public boolean binlogReaderRuns() {
        return reader.reading();
    }

    /** The connector ({@code cdc.name}) this gate belongs to. */
    public String connectorName() {
        return connectorName;
    }

    /** Why the server cannot continue from the saved position, or null while nothing says so. */
    public String positionRefusal() {
        return reader.refusal();
    }

    /** The count of runs that crashed at the saved position, and the way past a transaction that crashes them. */
    CrashCounter crashCounter() {
        return crashCounter;
    }

    /**
     * Before the offset store stops: writes out the batch the aggregator still holds, so that a graceful stop
     * saves the position of everything read (only a transaction cut off by the stop is read again).
     */
    void flushBeforeStop() {
        if (aggregator != null) {
            try {
                aggregator.forceCompletionOfAllGroups();
            } catch (RuntimeException e) {
                LOG.warn("Could not write the last batch before stopping; it will be read again: {}", e.getMessage());
            }
        }
        handOver.awaitWriter(clockMs, STOP_WAIT_MS);
        long undelivered = ledger.forgetUndelivered();
        if (undelivered > 0) {
            LOG.info("Stopping with {} records not yet in the stream; they will be read again on start", undelivered);
        }
        failure = null;
    }

    long deliveredUpTo() {
        return ledger.deliveredUpTo();
    }

    /** The connector ({@code cdc.name}) whose offset store this gate holds back. */
    public void setConnectorName(String connectorName) {
        this.connectorName = connectorName;
    }

    /** Id of the aggregator step to flush before the offset store stops. */
    public void setAggregatorId(String aggregatorId) {
        this.aggregatorId = aggregatorId;
    }

    /** Most row changes between the binlog reader and the stream ({@code batch.maxEventsInFlight}). */
    public void setMaxEventsInFlight(int limit) {
        eventsInFlight.setLimit(limit);
    }

    /** Row changes admitted and not yet in a stream or failed. */
    long eventsInFlight() {
        return eventsInFlight.inFlight();
    }

    /**
     * Runs crashed at the same saved position after which the transactions they read are invalidated by table
     * ({@code cdc.escapeAfterCrashes}; 0: never).
     */
    public void setEscapeAfterCrashes(int escapeAfterCrashes) {
        crashCounter.setEscapeAfterCrashes(escapeAfterCrashes);
    }

    /** How long records may wait with nothing delivered before readiness goes DOWN. */
    public void setStuckAfterMs(long stuckAfterMs) {
        if (stuckAfterMs < 1) {
            throw new ConfigurationException("cdc.gateStuckAfterMs must be at least 1, was " + stuckAfterMs);
        }
        this.stuckAfterMs = stuckAfterMs;
    }

    /** The Camel context whose health checks, meters and aggregate step the gate uses. */
    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }
}
