package dev.cacheinvalidation.pipelinefile;

import java.util.Map;

/** DeltaForge keys that have no counterpart here, by the mapping they stand in, with the reason given for each. */
final class Refusals {

    static final Map<String, String> SPEC = Map.of(
            "sharding", "not supported: one pipeline process reads the binlog; workers scale by the consumer group",
            "connection_policy", "not supported: the binlog reader has one connection to the server of the dsn",
            "sink_batch_deadline_secs", "not supported: a stream write that fails is retried until it succeeds",
            "schema_sensing", "not supported",
            "journal", "not supported: a batch whose script fails goes to stream.deadLetterKey"
                    + " (application.properties)");
    static final Map<String, String> SOURCE = Map.of(
            "outbox", "not supported: row changes only",
            "on_schema_drift", "not supported: a server that cannot continue from the saved position is refused"
                    + " (docs/guarantees.md, Database failover)");
    static final Map<String, String> SNAPSHOT = Map.of(
            "max_parallel_tables", "not supported: no snapshot is taken (mode: never)",
            "chunk_size", "not supported: no snapshot is taken (mode: never)");
    static final Map<String, String> SCRIPT_LIMITS = Map.of(
            "cpu_ms", "not supported: limits.timeout_ms bounds a call's time, limits.mem_mb what it allocates");
    static final Map<String, String> SINK = Map.of(
            "key", "not supported: stream entries have no key field; the workers read the event",
            "send_timeout_secs", "not supported: a stream write that fails is retried until it succeeds",
            "batch_timeout_secs", "not supported: a stream write that fails is retried until it succeeds",
            "connect_timeout_secs", "not supported: the Redis client's timeouts are fixed",
            "filter", "not supported: every event the script returns is written");
    static final Map<String, String> BATCH = Map.of(
            "max_inflight", "not supported: batch.maxEventsInFlight (application.properties) bounds the changes on"
                    + " their way to the stream");

    private Refusals() {
    }
}
