package dev.cacheinvalidation.stream;

import dev.cacheinvalidation.config.RedisAddress;
import dev.cacheinvalidation.redis.TopologyAwareRedis;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultEndpoint;

/** A Redis stream: the producer appends, the consumer reads through a consumer group and acknowledges. */
@UriEndpoint(firstVersion = "0.1.0", scheme = "redis-stream", title = "Redis Stream", syntax = "redis-stream:stream",
             category = { Category.CACHE, Category.MESSAGING }, headersClass = RedisStreamConstants.class)
public class RedisStreamEndpoint extends DefaultEndpoint {

    @UriParam
    private final RedisStreamConfiguration configuration;

    public RedisStreamEndpoint(String uri, RedisStreamComponent component, RedisStreamConfiguration configuration) {
        super(uri, component);
        this.configuration = configuration;
    }

    @Override
    public RedisStreamComponent getComponent() {
        return (RedisStreamComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new RedisStreamProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        RedisStreamConsumer consumer = new RedisStreamConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    public RedisStreamConfiguration getConfiguration() {
        return configuration;
    }

    StreamClient createClient(int connections, String clientName) {
        RedisAddress address = RedisAddress.parse(configuration.getRedisUri());
        int socketTimeout = (int) Math.max(5000, configuration.getBlockMs() + 5000);
        return new StreamClient(TopologyAwareRedis.at(address, clientName, socketTimeout, connections)
                .waitForReplicas(configuration.getWaitReplicas(), "redis.waitReplicas (redis-stream waitReplicas)"));
    }
}
