package dev.cacheinvalidation.js;

import dev.cacheinvalidation.config.ConfigurationException;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScriptBatchProcessorTest {

    @Test
    void impossibleSettingsAreConfigurationErrorsNamingTheSetting() {
        ScriptBatchProcessor processor = new ScriptBatchProcessor();

        assertThatThrownBy(() -> processor.setRetries(-1)).isInstanceOf(ConfigurationException.class)
                .hasMessage("script.retries must be at least 0, was -1");
        assertThatThrownBy(() -> processor.setBatchEvents(0)).isInstanceOf(ConfigurationException.class)
                .hasMessage("batch.maxEvents must be at least 1, was 0");
        assertThatThrownBy(() -> processor.setTimeoutMs(0)).isInstanceOf(ConfigurationException.class)
                .hasMessage("script.timeoutMs must be at least 1, was 0");
        assertThatThrownBy(() -> processor.setMemMb(-1)).isInstanceOf(ConfigurationException.class)
                .hasMessage("script.memMb must be at least 0, was -1");
    }

    @Test
    void aWriterQueueWithoutConsumerThreadsIsAConfigurationError() throws Exception {
        ScriptBatchProcessor processor = new ScriptBatchProcessor();
        processor.setScript("routes/cache-keys.js");
        processor.setTimeoutMs(500);
        try (CamelContext camel = new DefaultCamelContext()) {
            processor.setCamelContext(camel);
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("seda:batches?concurrentConsumers=0").process(processor);
                }
            });

            assertThatThrownBy(camel::start).satisfies(error -> assertThat(causes(error))
                    .anySatisfy(cause -> assertThat(cause).isInstanceOf(ConfigurationException.class)
                            .hasMessage("script.contexts must be at least 1, was 0")));
        }
    }

    private static java.util.List<Throwable> causes(Throwable error) {
        java.util.List<Throwable> chain = new java.util.ArrayList<>();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            chain.add(cause);
        }
        return chain;
    }
}
