package dev.cacheinvalidation.stream;

import java.util.Map;
import java.util.function.Supplier;

import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness of a redis-stream producer or consumer: DOWN while Redis refuses its commands (it retries by itself,
 * so liveness is not affected) or, for a consumer, while the group lags more than the threshold or its oldest
 * unacknowledged entry is older than the bound.
 */
final class RedisStreamHealthCheck extends AbstractHealthCheck {

    private final Supplier<String> problem;
    private final Supplier<Map<String, Object>> details;

    RedisStreamHealthCheck(String id, Supplier<String> problem, Supplier<Map<String, Object>> details) {
        super("redis-stream", id);
        this.problem = problem;
        this.details = details;
    }

    void register(CamelContext context) {
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry != null) {
            registry.register(this);
        }
    }

    void unregister(CamelContext context) {
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry != null) {
            registry.unregister(this);
        }
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.details(details.get());
        String why = problem.get();
        if (why == null) {
            builder.up();
        } else {
            builder.message(why).down();
        }
    }
}
