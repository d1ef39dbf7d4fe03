package dev.cacheinvalidation.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.cacheinvalidation.stream.StreamMessage;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.StreamEntryID;

/** Two worker processes in one consumer group share the stream: every key goes, no entry is handled twice. */
class TwoWorkersIT {

    private static final String STREAM = "two-workers:invalidations";

    @TempDir
    Path dataDir;

    @Test
    void twoWorkersInOneGroupDeleteEveryKeyAndNeverHandleAnEntryTwice() throws Exception {
        TestServers servers = TestServers.local();
        try (Jedis jedis = servers.redis()) {
            jedis.del(STREAM);
        }
        Map<String, Set<String>> handledBy = new ConcurrentHashMap<>();
        try (RunningApp first = startWorker(servers, "worker-a", handledBy);
                RunningApp second = startWorker(servers, "worker-b", handledBy)) {
            int events = 2000;
            List<String> keys = new ArrayList<>();
            try (Jedis jedis = servers.redis()) {
                for (int chunk = 0; chunk < 20; chunk++) {
                    Pipeline pipeline = jedis.pipelined();
                    for (int i = 0; i < events / 20; i++) {
                        int n = chunk * (events / 20) + i;
                        String key = "two-workers:item:" + n;
                        keys.add(key);
                        pipeline.set(key, "cached");
                        pipeline.xadd(STREAM, StreamEntryID.NEW_ENTRY, Map.of("event",
                                "{\"op\":\"u\",\"table\":\"app.items\",\"before\":null,\"after\":{\"id\":" + n
                                        + ",\"_cache_keys\":[\"" + key + "\"]},\"tags\":[]}"));
                    }
                    pipeline.sync();
                    Thread.sleep(20);
                }
                jedis.set("two-workers:control", "cached");
            }
            new StreamProbe(servers, STREAM, "cache-workers").awaitDrained(Duration.ofSeconds(60));

            try (Jedis jedis = servers.redis()) {
                assertThat(keys).allSatisfy(key -> assertThat(jedis.exists(key)).as(key).isFalse());
                assertThat(jedis.exists("two-workers:control")).isTrue();
            }
            Set<String> a = handledBy.getOrDefault("worker-a", Set.of());
            Set<String> b = handledBy.getOrDefault("worker-b", Set.of());
            assertThat(a).isNotEmpty();
            assertThat(b).isNotEmpty();
            assertThat(a.size() + b.size()).isEqualTo(events);
            Set<String> both = new HashSet<>(a);
            both.retainAll(b);
            assertThat(both).as("entries handled by both workers").isEmpty();
        }
    }

    private RunningApp startWorker(TestServers servers, String name, Map<String, Set<String>> handledBy) throws Exception {
        Map<String, String> props = RunningApp.defaults(servers, name, dataDir.resolve(name));
        props.put("stream.key", STREAM);
        props.put("worker.consumerName", name);
        return RunningApp.start(RunningApp.WORKER, props, context -> context.getManagementStrategy()
                .addEventNotifier(new HandledEntries(name, handledBy)));
    }

    /** Records the ids of the entries each worker's route completed. */
    private static final class HandledEntries extends EventNotifierSupport {
        private final String worker;
        private final Map<String, Set<String>> handledBy;

        HandledEntries(String worker, Map<String, Set<String>> handledBy) {
            this.worker = worker;
            this.handledBy = handledBy;
            setIgnoreExchangeCreatedEvent(true);
            setIgnoreExchangeSendingEvents(true);
            setIgnoreExchangeSentEvents(true);
        }

        @Override
        public void notify(CamelEvent event) {
            if (event instanceof CamelEvent.ExchangeCompletedEvent completed
                    && completed.getExchange().getMessage().getBody() instanceof List<?> body) {
                Set<String> ids = handledBy.computeIfAbsent(worker, w -> ConcurrentHashMap.newKeySet());
                for (Object item : body) {
                    if (item instanceof StreamMessage message) {
                        ids.add(message.id());
                    }
                }
            }
        }
    }
}
