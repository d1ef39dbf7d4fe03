package dev.cacheinvalidation.event;

/** BEGIN or END of a source transaction; the connector reports both alike, with the transaction id. */
public record TransactionBoundary(String transactionId) implements SourceChange {
}
