package dev.cacheinvalidation.metrics;

import java.time.Duration;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;

/**
 * Registers the pipeline's meters in the registry Camel serves on its metrics endpoint, each with its description
 * and the same tags: one line per meter where it is used.
 */
public final class Meters {

    private final MeterRegistry registry;
    private final Tags tags;

    private Meters(MeterRegistry registry, Tags tags) {
        this.registry = registry;
        this.tags = tags;
    }

    /** Meters of this Camel context; {@code tags} are key, value pairs put on every meter. */
    public static Meters of(CamelContext context, String... tags) {
        return new Meters(registry(context), Tags.of(tags));
    }

    /** The registry Camel exposes on its metrics endpoint, or the global one when there is none. */
    public static MeterRegistry registry(CamelContext context) {
        MeterRegistry registry = context == null ? null : context.getRegistry().findSingleByType(MeterRegistry.class);
        return registry != null ? registry : Metrics.globalRegistry;
    }

    /** A counter; {@code moreTags} (key, value pairs) are added to the tags of every meter. */
    public Counter counter(String name, String description, String... moreTags) {
        return Counter.builder(name).description(description).tags(tags.and(moreTags)).register(registry);
    }

    /** A timer with a percentile histogram, so that quantiles can be computed across instances. */
    public Timer timer(String name, String description) {
        return Timer.builder(name).description(description).tags(tags).publishPercentileHistogram().register(registry);
    }

    /**
     * A timer with these histogram buckets ({@code le}) and more tags (key, value pairs): quantiles across instances
     * from a few series each, for meters that a tag such as the table multiplies.
     */
    public Timer timer(String name, String description, Duration[] buckets, String... moreTags) {
        return Timer.builder(name).description(description).tags(tags.and(moreTags)).serviceLevelObjectives(buckets)
                .register(registry);
    }

    public DistributionSummary summary(String name, String description) {
        return DistributionSummary.builder(name).description(description).tags(tags).register(registry);
    }

    /** A counter read from {@code owner} when scraped. */
    public <T> FunctionCounter counting(String name, String description, T owner, ToDoubleFunction<T> count) {
        return FunctionCounter.builder(name, owner, count).description(description).tags(tags).register(registry);
    }

    /** A value read from {@code owner} when scraped. */
    public <T> Gauge gauge(String name, String description, T owner, ToDoubleFunction<T> value) {
        return Gauge.builder(name, owner, value).description(description).tags(tags).register(registry);
    }

    public void removeAll(Iterable<Meter> registered) {
        registered.forEach(registry::remove);
    }
}
