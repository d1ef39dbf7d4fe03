package dev.cacheinvalidation.health;

import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.offsets.OffsetGate;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.camel.support.LifecycleStrategySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Debezium engine ends for good when it fails, at start (it cannot connect, or the connection is closed under
 * it) or later (an error it does not retry), and the binlog route goes on as if nothing happened: a live process
 * with a dead pipeline. camel-debezium runs the engine on a thread of its own, busy for as long as the engine
 * runs; the watchdog looks at it every second. Idle for {@code restartAfterMs} while the route is started, the
 * route is restarted, which starts a new engine from the saved position; while that fails, again after pauses that
 * double up to {@value #MAX_PAUSE_MS} ms. An engine that only reconnects keeps its thread busy and is left to it.
 * Ended for {@code deadAfterMs} in spite of the restarts (a cause that does not pass: a changed password), liveness
 * goes DOWN so that an orchestrator restarts the process, whose start-up check then says what is wrong.
 * <p>
 * When the server cannot continue from the saved position (the offset gate says so, as the engine starts or while
 * it runs: another history, changes missing or purged, after a failover), the binlog route is stopped and not
 * started again: restarting cannot help, and the pipeline must never go on from somewhere else. One error says what to do, liveness goes DOWN at once, and the
 * process ends with exit code {@value #POSITION_REFUSED_EXIT} where the launcher lets it ({@link ProcessEnd}).
 */
public class EngineWatchdog extends AbstractHealthCheck {

    private static final Logger LOG = LoggerFactory.getLogger(EngineWatchdog.class);
    /** The thread pool camel-debezium runs the engine on. */
    private static final String ENGINE_POOL = "DebeziumConsumer";
    private static final long MAX_PAUSE_MS = 20_000;
    /** The exit code of a process ended because the server cannot continue from the saved position. */
    public static final int POSITION_REFUSED_EXIT = 3;

    /** The connector's offset gate: its name, and whether the server refused the saved position. */
    private OffsetGate offsetGate;
    /** The binlog route, restarted when its engine ended. */
    private String routeId;
    private long restartAfterMs;
    private long deadAfterMs;

    // the state of the checks, on the watchdog's thread (the volatile ones are read by health calls)
    private ScheduledExecutorService checks;
    private volatile ThreadPoolExecutor enginePool;
    private long idleSince;
    private long nextRestartAt;
    private long pauseMs;
    private volatile int restarts;
    private volatile long deadSince;
    private volatile String refused;

    public EngineWatchdog() {
        super("cache-invalidation", "binlog-engine");
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    public void start() {
        if (routeId == null || routeId.isBlank()) {
            throw new IllegalStateException("the engine watchdog needs the binlog route's id (routeId)");
        }
        HealthCheckRegistry registry = HealthCheckRegistry.get(getCamelContext());
        if (registry != null) {
            registry.register(this);
        }
        // camel-debezium runs the engine on a single-thread pool of its own; idle, the engine's run() has returned
        getCamelContext().addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onThreadPoolAdd(CamelContext context, ThreadPoolExecutor pool, String id, String sourceId,
                    String routeId, String threadPoolProfileId) {
                if (ENGINE_POOL.equals(threadPoolProfileId)) {
                    enginePool = pool;
                }
            }
        });
        checks = getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "engine-watchdog");
        checks.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    public void stop() {
        if (checks != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(checks);
        }
        HealthCheckRegistry registry = HealthCheckRegistry.get(getCamelContext());
        if (registry != null) {
            registry.unregister(this);
        }
    }

    void check() {
        try {
            CamelContext camel = getCamelContext();
            if (camel.isStopping() || camel.getRouteController().getRouteStatus(routeId) != ServiceStatus.Started) {
                idleSince = 0;
                return;
            }
            String refusal = offsetGate == null ? null : offsetGate.positionRefusal();
            if (refusal != null) {
                refuse(refusal);
                return;
            }
            long now = System.currentTimeMillis();
            if (engineRuns()) {
                if (idleSince != 0 && restarts > 0) {
                    LOG.info("The binlog reader runs again after {} restart(s) of route {}", restarts, routeId);
                }
                idleSince = 0;
                deadSince = 0;
                restarts = 0;
                pauseMs = 0;
                return;
            }
            if (idleSince == 0) {
                idleSince = now;
                nextRestartAt = now + restartAfterMs;
                return;
            }
            if (deadSince == 0 && now - idleSince >= restartAfterMs) {
                deadSince = idleSince;
            }
            if (now >= nextRestartAt) {
                restart(now);
            }
        } catch (RuntimeException e) {
            LOG.warn("The binlog reader's watchdog failed a check: {}", e.getMessage());
        }
    }

    private void refuse(String refusal) {
        if (refused != null) {
            return;
        }
        refused = refusal;
        LOG.error("The binlog reader stops for good: {}", refusal);
        try {
            // not one more change from that server: the saved position must stay where it can be continued from
            getCamelContext().getRouteController().stopRoute(routeId);
        } catch (Exception e) {
            LOG.warn("Stopping route {} failed: {}", routeId, e.getMessage());
        }
        ProcessEnd end = getCamelContext().getRegistry().findSingleByType(ProcessEnd.class);
        if (end != null) {
            end.end(POSITION_REFUSED_EXIT);
        }
    }

    private void restart(long now) {
        restarts++;
        pauseMs = pauseMs == 0 ? Math.min(MAX_PAUSE_MS, restartAfterMs) : Math.min(MAX_PAUSE_MS, pauseMs * 2);
        nextRestartAt = now + pauseMs;
        LOG.warn("The binlog reader's engine is not running (not for {} s; Debezium's error is logged above): restarting"
                + " route {} from the saved position (restart {}; the next in {} s if it fails again)",
                (now - idleSince) / 1000, routeId, restarts, pauseMs / 1000);
        try {
            getCamelContext().getRouteController().stopRoute(routeId);
            getCamelContext().getRouteController().startRoute(routeId);
        } catch (Exception e) {
            LOG.warn("Restarting route {} failed: {}", routeId, e.getMessage());
        }
    }

    /** The engine's thread is busy: its run() has not returned (it starts, recovers, snapshots or streams). */
    private boolean engineRuns() {
        ThreadPoolExecutor pool = enginePool;
        return pool == null || pool.isShutdown() || pool.getActiveCount() > 0;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("connector", offsetGate == null ? null : offsetGate.connectorName()).detail("restarts", restarts);
        if (refused != null) {
            builder.message("the binlog reader stopped for good: " + refused).down();
            return;
        }
        long dead = deadSince;
        if (deadAfterMs > 0 && dead != 0 && System.currentTimeMillis() - dead >= deadAfterMs) {
            builder.message("the binlog reader's engine has not run since " + java.time.Instant.ofEpochMilli(dead)
                    + " in spite of " + restarts + " restarts").down();
        } else {
            builder.up();
        }
    }

    /** The connector's offset gate, which knows when the server cannot continue from the saved position. */
    public void setOffsetGate(OffsetGate offsetGate) {
        this.offsetGate = offsetGate;
    }

    /** The engine ended this long ago: the route is restarted. */
    public void setRestartAfterMs(long restartAfterMs) {
        if (restartAfterMs < 1) {
            throw new ConfigurationException("cdc.engineRestartAfterMs must be at least 1, was " + restartAfterMs);
        }
        this.restartAfterMs = restartAfterMs;
    }

    /** The binlog route, restarted when its engine ended. */
    public void setRouteId(String routeId) {
        this.routeId = routeId;
    }

    /** Not running this long in spite of restarts: liveness DOWN (0: never). */
    public void setDeadAfterMs(long deadAfterMs) {
        if (deadAfterMs < 0) {
            throw new ConfigurationException("cdc.engineDeadAfterMs must be at least 0, was " + deadAfterMs);
        }
        this.deadAfterMs = deadAfterMs;
    }
}
