package dev.cacheinvalidation.event;

/** A binlog record that carries no row change, such as a schema change. */
public record SkippedRecord(String reason) implements SourceChange {
}
