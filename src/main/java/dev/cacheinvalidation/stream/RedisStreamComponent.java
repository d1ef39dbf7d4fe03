package dev.cacheinvalidation.stream;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/** {@code redis-stream:<stream>}: append batches of entries atomically, consume them through a consumer group. */
@Component("redis-stream")
public class RedisStreamComponent extends DefaultComponent {

    @Metadata(defaultValue = "60000", description = "The endpoints' evictionCheckMs unless an endpoint sets its own")
    private long evictionCheckMs = 60000;
    @Metadata(secret = true, description = "The endpoints' redisUri unless an endpoint sets its own")
    private String redisUri;
    @Metadata(defaultValue = "0", description = "The endpoints' waitReplicas unless an endpoint sets its own")
    private int waitReplicas;
    /** When each Redis's eviction problem was last logged, for the guards of all endpoints (see EvictionGuard). */
    private final Map<String, Long> evictionProblemsSaid = new ConcurrentHashMap<>();

    Map<String, Long> evictionProblemsSaid() {
        return evictionProblemsSaid;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("redis-stream needs a stream key: redis-stream:<stream>");
        }
        RedisStreamConfiguration configuration = new RedisStreamConfiguration();
        configuration.setStream(remaining);
        configuration.setEvictionCheckMs(evictionCheckMs);
        if (redisUri != null) {
            configuration.setRedisUri(redisUri);
        }
        configuration.setWaitReplicas(waitReplicas);
        RedisStreamEndpoint endpoint = new RedisStreamEndpoint(uri, this, configuration);
        setProperties(configuration, parameters);
        return endpoint;
    }

    public long getEvictionCheckMs() {
        return evictionCheckMs;
    }

    public void setEvictionCheckMs(long evictionCheckMs) {
        this.evictionCheckMs = evictionCheckMs;
    }

    public String getRedisUri() {
        return redisUri;
    }

    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }

    public int getWaitReplicas() {
        return waitReplicas;
    }

    public void setWaitReplicas(int waitReplicas) {
        this.waitReplicas = waitReplicas;
    }
}
