package dev.cacheinvalidation.stream;

import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.spi.UriPath;

/** Options of a {@code redis-stream:} endpoint. */
@UriParams
public class RedisStreamConfiguration {

    @UriPath
    @Metadata(required = true, description = "The stream key")
    private String stream;
    @UriParam(defaultValue = "redis://localhost:6379", secret = true,
              description = "Redis address: redis://[user:password@]host:port[/db], rediss:// for TLS, seed nodes of a"
                      + " cluster as host:port,host:port, or redis-sentinel://host:port[,host:port...][/db]#master")
    private String redisUri = "redis://localhost:6379";
    @UriParam(defaultValue = "event", description = "Field that holds the payload of each entry")
    private String field = "event";
    @UriParam(label = "producer", defaultValue = "0",
              description = "Bound of the stream length: above it, entries every consumer group has acknowledged are"
                      + " trimmed (XTRIM MINID), unacknowledged ones never; 0 keeps every entry")
    private long maxLen;
    @UriParam(defaultValue = "0",
              description = "Appends (and dead letters) wait until this many replicas have them (WAIT, up to 1 s), so"
                      + " that a failover does not lose an acknowledged entry; 0 does not wait")
    private int waitReplicas;
    @UriParam(label = "producer", defaultValue = "1000", description = "How often the bound (maxLen) is checked")
    private long trimIntervalMs = 1000;
    @UriParam(label = "consumer", defaultValue = "cache-workers", description = "Consumer group")
    private String group = "cache-workers";
    @UriParam(label = "consumer", description = "Consumer name in the group; default worker-<pid>, with -<n> per extra thread")
    private String consumerName;
    @UriParam(label = "consumer", defaultValue = "1", description = "Reading threads, each a consumer of its own")
    private int concurrentConsumers = 1;
    @UriParam(label = "consumer", description = "Entries per read (COUNT), one exchange each read; 1 or more")
    private int batchSize;
    @UriParam(label = "consumer", defaultValue = "5000", description = "How long a read waits for new entries (BLOCK)")
    private long blockMs = 5000;
    @UriParam(label = "consumer", defaultValue = "60000",
              description = "Entries pending longer than this at another consumer are taken over (XAUTOCLAIM)")
    private long claimIdleMs = 60000;
    @UriParam(label = "consumer", defaultValue = "5",
              description = "Deliveries after which an entry the route cannot handle goes to the dead-letter stream")
    private int maxDeliveries = 5;
    @UriParam(label = "consumer", description = "Dead-letter stream; default <stream>:dlq")
    private String deadLetterStream;
    @UriParam(label = "consumer", defaultValue = "100000",
              description = "Readiness is DOWN while the group has more unread entries than this; 0 disables the check")
    private long maxLag = 100000;
    @UriParam(label = "consumer", defaultValue = "0",
              description = "Readiness is DOWN while the oldest entry the group has not acknowledged (pending, or not"
                      + " read yet) is older than this, in milliseconds, by its id's time; 0 disables the check. Must"
                      + " be above redeleteAfterMs")
    private long maxChangeAgeMs;
    @UriParam(label = "consumer", defaultValue = "0",
              description = "When above 0, entries the route accepted are handed to it again this long after, the"
                      + " redelete (header CamelRedisStreamRedelete true), and acknowledged only after that; until then they stay"
                      + " pending, so a crash in between has them processed again. Must be below claimIdleMs")
    private long redeleteAfterMs;
    @UriParam(label = "consumer", defaultValue = "5000",
              description = "How often stream length, lag, pending and the oldest unacknowledged entry are sampled")
    private long statsIntervalMs = 5000;
    @UriParam(defaultValue = "60000",
              description = "How often the Redis's maxmemory-policy is checked after the check at start: allkeys-*"
                      + " would evict the stream (refused at start; afterwards an error and readiness DOWN); 0: only"
                      + " at start")
    private long evictionCheckMs = 60000;
    @UriParam(defaultValue = "100", description = "First pause after a Redis error; doubled up to retryMaxMs")
    private long retryInitialMs = 100;
    @UriParam(defaultValue = "5000", description = "Longest pause between retries while Redis is unavailable")
    private long retryMaxMs = 5000;

    public long getEvictionCheckMs() {
        return evictionCheckMs;
    }

    public void setEvictionCheckMs(long evictionCheckMs) {
        this.evictionCheckMs = evictionCheckMs;
    }

    public String getStream() {
        return stream;
    }

    public void setStream(String stream) {
        this.stream = stream;
    }

    public String getRedisUri() {
        return redisUri;
    }

    public void setRedisUri(String redisUri) {
        this.redisUri = redisUri;
    }

    public String getField() {
        return field;
    }

    public void setField(String field) {
        this.field = field;
    }

    public long getMaxLen() {
        return maxLen;
    }

    public void setMaxLen(long maxLen) {
        this.maxLen = maxLen;
    }

    public int getWaitReplicas() {
        return waitReplicas;
    }

    public void setWaitReplicas(int waitReplicas) {
        this.waitReplicas = waitReplicas;
    }

    public long getTrimIntervalMs() {
        return trimIntervalMs;
    }

    public void setTrimIntervalMs(long trimIntervalMs) {
        this.trimIntervalMs = trimIntervalMs;
    }

    public String getGroup() {
        return group;
    }

    public void setGroup(String group) {
        this.group = group;
    }

    public String getConsumerName() {
        return consumerName;
    }

    public void setConsumerName(String consumerName) {
        this.consumerName = consumerName;
    }

    public int getConcurrentConsumers() {
        return concurrentConsumers;
    }

    public void setConcurrentConsumers(int concurrentConsumers) {
        this.concurrentConsumers = concurrentConsumers;
    }

    public int getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    public long getBlockMs() {
        return blockMs;
    }

    public void setBlockMs(long blockMs) {
        this.blockMs = blockMs;
    }

    public long getClaimIdleMs() {
        return claimIdleMs;
    }

    public void setClaimIdleMs(long claimIdleMs) {
        this.claimIdleMs = claimIdleMs;
    }

    public int getMaxDeliveries() {
        return maxDeliveries;
    }

    public void setMaxDeliveries(int maxDeliveries) {
        this.maxDeliveries = maxDeliveries;
    }

    public String getDeadLetterStream() {
        return deadLetterStream != null ? deadLetterStream : stream + ":dlq";
    }

    public void setDeadLetterStream(String deadLetterStream) {
        this.deadLetterStream = deadLetterStream;
    }

    public long getMaxLag() {
        return maxLag;
    }

    public void setMaxLag(long maxLag) {
        this.maxLag = maxLag;
    }

    public long getMaxChangeAgeMs() {
        return maxChangeAgeMs;
    }

    public void setMaxChangeAgeMs(long maxChangeAgeMs) {
        this.maxChangeAgeMs = maxChangeAgeMs;
    }

    public long getRedeleteAfterMs() {
        return redeleteAfterMs;
    }

    public void setRedeleteAfterMs(long redeleteAfterMs) {
        this.redeleteAfterMs = redeleteAfterMs;
    }

    public long getStatsIntervalMs() {
        return statsIntervalMs;
    }

    public void setStatsIntervalMs(long statsIntervalMs) {
        this.statsIntervalMs = statsIntervalMs;
    }

    public long getRetryInitialMs() {
        return retryInitialMs;
    }

    public void setRetryInitialMs(long retryInitialMs) {
        this.retryInitialMs = retryInitialMs;
    }

    public long getRetryMaxMs() {
        return retryMaxMs;
    }

    public void setRetryMaxMs(long retryMaxMs) {
        this.retryMaxMs = retryMaxMs;
    }
}
