package dev.cacheinvalidation.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.it.AppProcess;
import dev.cacheinvalidation.it.TestServers;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

/** The Node example of the lease protocol against the build's Redis, sharing its keys with {@link LeasedCache}. */
class NodeLeaseReaderIT {

    @Test
    void theNodeReaderServesWhatJavaFilledAndItsFillAfterADeleteIsRefused() throws Exception {
        Path example = Path.of("examples/node-lease-reader");
        assumeTrue(Files.isDirectory(example.resolve("node_modules/ioredis")),
                "the Node example needs `npm ci --prefix examples/node-lease-reader`");
        String redisUri = TestServers.local().redisUri();
        String key = "node-lease-it:user:1";
        try (JedisPooled redis = new JedisPooled(URI.create(redisUri))) {
            redis.del(key);
            new LeasedCache(RedisScripting.of(redis)).get(key, () -> "filled by Java");

            try (AppProcess node = AppProcess.start(List.of("node", "read-through.js", key),
                    Map.of("REDIS_URI", redisUri), example.toAbsolutePath())) {
                assertThat(node.awaitExit(Duration.ofSeconds(30))).isZero();
                assertThat(node.output()).contains(key + " = filled by Java\n",
                        key + " = filled by Java (second read: from the cache)", "fill after the delete: 0");
            }
            assertThat(redis.exists(key)).as("the refused fill wrote nothing").isFalse();
        }
    }
}
