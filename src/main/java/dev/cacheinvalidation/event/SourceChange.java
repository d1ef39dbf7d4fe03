package dev.cacheinvalidation.event;

/**
 * What one record of the binlog turned into: a row change, a transaction boundary, or something the pipeline
 * passes over (schema changes, heartbeats). Every record keeps its place in arrival order so that the source
 * position is saved only once everything before it has been delivered.
 */
public sealed interface SourceChange permits ChangeEvent, TransactionBoundary, SkippedRecord {

    /** Exchange property holding the arrival sequence number (a long) of the record. */
    String SEQUENCE_PROPERTY = "CacheInvalidationSequence";
}
