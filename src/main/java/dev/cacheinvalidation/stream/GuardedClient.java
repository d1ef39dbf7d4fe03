package dev.cacheinvalidation.stream;

import org.apache.camel.CamelContext;

/**
 * A producer's or a consumer's client of the stream's Redis, with the guard that checks that this Redis never
 * evicts the stream ({@link EvictionGuard}): made as the producer or consumer starts, closed as it stops.
 */
record GuardedClient(StreamClient client, EvictionGuard guard, CamelContext context) implements AutoCloseable {

    /** A client of {@code connections} connections named {@code clientName}, its Redis checked at once. */
    static GuardedClient open(RedisStreamEndpoint endpoint, Object owner, int connections, String clientName) {
        RedisStreamConfiguration config = endpoint.getConfiguration();
        StreamClient client = endpoint.createClient(connections, clientName);
        EvictionGuard guard = new EvictionGuard(client, config.getStream(), config.getEvictionCheckMs(),
                endpoint.getComponent().evictionProblemsSaid());
        try {
            guard.start(endpoint.getCamelContext(), owner);
        } catch (RuntimeException refused) {
            client.close();
            throw refused;
        }
        return new GuardedClient(client, guard, endpoint.getCamelContext());
    }

    /** Why the Redis may not hold the stream now, or null. */
    String evictionProblem() {
        return guard.problem();
    }

    @Override
    public void close() {
        guard.stop(context);
        client.close();
    }
}
