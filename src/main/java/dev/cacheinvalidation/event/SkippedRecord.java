package dev.cacheinvalidation.event;

/**
 * A binlog record that carries no row change, such as a schema change or a heartbeat.
 *
 * @param schemaChange true for a DDL statement: it commits by itself, so it ends any transaction still open
 */
public record SkippedRecord(String reason, boolean schemaChange) implements SourceChange {

    public SkippedRecord(String reason) {
        this(reason, false);
    }
}
