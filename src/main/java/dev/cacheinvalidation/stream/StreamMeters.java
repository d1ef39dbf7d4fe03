package dev.cacheinvalidation.stream;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.apache.camel.CamelContext;

/** The Micrometer registry Camel exposes on its metrics endpoint, or the global one when there is none. */
public final class StreamMeters {

    private StreamMeters() {
    }

    public static MeterRegistry registry(CamelContext context) {
        MeterRegistry registry = context == null ? null : context.getRegistry().findSingleByType(MeterRegistry.class);
        return registry != null ? registry : Metrics.globalRegistry;
    }
}
