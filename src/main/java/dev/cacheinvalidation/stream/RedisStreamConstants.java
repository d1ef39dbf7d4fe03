package dev.cacheinvalidation.stream;

/** Message headers of the redis-stream component. */
public final class RedisStreamConstants {

    /** Consumer: the stream the entries were read from. */
    public static final String STREAM = "CamelRedisStreamKey";
    /** Consumer: the consumer group. */
    public static final String GROUP = "CamelRedisStreamGroup";
    /** Consumer: this consumer's name in the group. */
    public static final String CONSUMER = "CamelRedisStreamConsumer";
    /**
     * Consumer: set by the route to a {@code Map<String, String>} of entry id to reason for entries it could not
     * handle. Those are not acknowledged with the others; they are tried again and dead-lettered after
     * {@code maxDeliveries} attempts.
     */
    public static final String REJECTED = "CamelRedisStreamRejected";
    /**
     * Consumer: {@code true} when the route sees these entries the second time, the redelete that
     * {@code redeleteAfterMs} asks for; {@code false} the first time.
     */
    public static final String REDELETE = "CamelRedisStreamRedelete";
    /** Producer: a {@code Map<String, String>} of fields added to every entry after the payload field. */
    public static final String EXTRA_FIELDS = "CamelRedisStreamExtraFields";
    /** Producer: ids of the entries written, in order. */
    public static final String ENTRY_IDS = "CamelRedisStreamEntryIds";

    private RedisStreamConstants() {
    }
}
