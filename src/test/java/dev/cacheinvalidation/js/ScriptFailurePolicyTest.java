package dev.cacheinvalidation.js;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

class ScriptFailurePolicyTest {

    @Test
    void aRouteIdNamingNoRouteStopsTheStartWithAClearError() throws Exception {
        try (CamelContext camel = contextWithRoute("binlog")) {
            stopping(camel, "cdc-to-stream");

            assertThatThrownBy(camel::start).hasStackTraceContaining("there is no route with that id")
                    .hasStackTraceContaining("'cdc-to-stream'");
        }
    }

    @Test
    void aRouteIdNamingTheRouteStarts() throws Exception {
        try (CamelContext camel = contextWithRoute("binlog")) {
            stopping(camel, "binlog");

            camel.start();

            assertThat(camel.isStarted()).isTrue();
        }
    }

    @Test
    void theDeadLetterCountIsThereFromTheStart() throws Exception {
        try (CamelContext camel = contextWithRoute("binlog")) {
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            camel.getRegistry().bind("meters", meters);
            stopping(camel, "binlog");

            camel.start();

            assertThat(meters.get("cache_invalidation_events_dead_lettered").counter().count()).isZero();
        }
    }

    @Test
    void anUnknownPolicyIsRefused() {
        assertThatThrownBy(() -> new ScriptFailurePolicy().setPolicy("ignore")).hasMessageContaining("dead-letter or fail");
    }

    /** A policy that stops the route with this id, in the Camel context. */
    private static void stopping(CamelContext camel, String routeId) {
        ScriptFailurePolicy policy = new ScriptFailurePolicy();
        policy.setRouteId(routeId);
        policy.setCamelContext(camel);
    }

    private static CamelContext contextWithRoute(String routeId) throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:in").routeId(routeId).log("in");
            }
        });
        return camel;
    }
}
