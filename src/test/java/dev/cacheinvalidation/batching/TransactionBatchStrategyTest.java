package dev.cacheinvalidation.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.event.ChangeEvent;
import dev.cacheinvalidation.event.EventSize;
import dev.cacheinvalidation.event.SkippedRecord;
import dev.cacheinvalidation.event.SourceChange;
import dev.cacheinvalidation.event.TransactionBoundary;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class TransactionBatchStrategyTest {

    private final CamelContext camel = new DefaultCamelContext();
    private final List<ChangeEvent> offered = new ArrayList<>();
    private int nextRow;

    @AfterEach
    void closeCamel() throws Exception {
        camel.close();
    }

    /**
     * Plays the aggregator of the route: asks preComplete before aggregating (and emits the current group first
     * when it says so), aggregates, emits the group once it is marked ready, and on {@link #intervalCompletion()}
     * emits the current group whatever its state. Every record gets the next arrival number, starting at 1.
     */
    private final class Aggregator {
        final TransactionBatchStrategy strategy = strategyWithSettings();
        final List<EventBatch> emitted = new ArrayList<>();
        Exchange group;
        long sequence;

        Aggregator(int maxEvents, int hardCap) {
            strategy.setMaxEvents(maxEvents);
            strategy.setHardCap(hardCap);
        }

        void offer(SourceChange change) {
            Exchange incoming = new DefaultExchange(camel);
            incoming.getMessage().setBody(change);
            incoming.setProperty(SourceChange.SEQUENCE_PROPERTY, ++sequence);
            if (strategy.preComplete(group, incoming)) {
                emit();
            }
            group = strategy.aggregate(group, incoming);
            assertThat(group.getMessage().getBody()).isSameAs(currentBatch());
            if (strategy.isBatchReady(group)) {
                emit();
            }
        }

        void intervalCompletion() {
            if (group != null) {
                emit();
            }
        }

        EventBatch currentBatch() {
            return group == null ? null : group.getProperty(EventBatch.PROPERTY, EventBatch.class);
        }

        boolean currentGroupIsReady() {
            return group != null && strategy.isBatchReady(group);
        }

        private void emit() {
            // as the aggregator does when a group completes
            strategy.onCompletion(group);
            emitted.add(currentBatch());
            group = null;
        }

        /** Batches that carry events. */
        List<EventBatch> withEvents() {
            return emitted.stream().filter(b -> !b.isEmpty()).toList();
        }

        List<ChangeEvent> allEmittedEvents() {
            return emitted.stream().flatMap(b -> b.events().stream()).toList();
        }

        // the binlog, record by record

        void begin(String tx) {
            offer(new TransactionBoundary(tx));
        }

        void end(String tx) {
            offer(new TransactionBoundary(tx));
        }

        void changes(String tx, int count) {
            for (int i = 0; i < count; i++) {
                offer(change(tx));
            }
        }

        void transaction(String tx, int count) {
            begin(tx);
            changes(tx, count);
            end(tx);
        }

        void skipped() {
            offer(new SkippedRecord("schema change on cdc"));
        }
    }

    private ChangeEvent change(String tx) {
        int row = ++nextRow;
        ChangeEvent event = new ChangeEvent("u", "shop.users", Map.of("id", row), Map.of("id", row), new ArrayList<>(),
                new ChangeEvent.SourcePosition("mysql-bin.000001", 1000L + row, 0, tx, 1L, 0L, 0L), tx);
        offered.add(event);
        return event;
    }

    private static List<Object> ids(List<ChangeEvent> events) {
        return events.stream().map(e -> e.after().get("id")).toList();
    }

    private static List<Object> ids(EventBatch batch) {
        return ids(batch.events());
    }

    @Test
    void batchIsReadyWhenItHoldsMaxEvents() {
        Aggregator aggregator = new Aggregator(3, 1000);

        aggregator.offer(change(null));
        aggregator.offer(change(null));
        assertThat(aggregator.currentGroupIsReady()).isFalse();
        assertThat(aggregator.strategy.matches(aggregator.group)).as("as a Predicate").isFalse();
        aggregator.offer(change(null));

        assertThat(aggregator.emitted).hasSize(1);
        assertThat(aggregator.emitted.get(0).size()).isEqualTo(3);
    }

    @Test
    void eventsKeepFillingNewBatchesOfMaxEvents() {
        Aggregator aggregator = new Aggregator(3, 1000);

        for (int i = 0; i < 7; i++) {
            aggregator.offer(change(null));
        }
        aggregator.intervalCompletion();

        assertThat(aggregator.emitted).extracting(EventBatch::size).containsExactly(3, 3, 1);
        assertThat(aggregator.allEmittedEvents()).containsExactlyElementsOf(offered);
    }

    @Test
    void completedBatchesAreNumberedInCompletionOrderBySizeAndByTime() {
        Aggregator aggregator = new Aggregator(3, 1000);

        aggregator.transaction("t1", 3);
        aggregator.transaction("t2", 1);
        aggregator.intervalCompletion();
        aggregator.transaction("t3", 3);

        assertThat(aggregator.emitted).extracting(EventBatch::serial).containsExactly(0L, 1L, 2L);
        assertThat(new EventBatch().serial()).as("a batch the batching never completed").isEqualTo(-1L);
    }

    @Test
    void eventsWithoutTransactionBoundariesCountAsSingleTransactions() {
        Aggregator aggregator = new Aggregator(100, 1000);

        aggregator.offer(change(null));
        aggregator.offer(change(null));
        aggregator.offer(change(null));
        aggregator.intervalCompletion();

        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.transactions()).isEqualTo(3);
        assertThat(batch.containsSplitTransaction()).isFalse();
    }

    @Test
    void transactionLargerThanMaxEventsFormsOneWholeBatch() {
        Aggregator aggregator = new Aggregator(100, 10_000);

        aggregator.transaction("tx-big", 250);

        assertThat(aggregator.withEvents()).hasSize(1);
        EventBatch batch = aggregator.withEvents().get(0);
        assertThat(batch.size()).isEqualTo(250);
        assertThat(batch.transactions()).isEqualTo(1);
        assertThat(batch.containsSplitTransaction()).isFalse();
        assertThat(batch.events()).containsExactlyElementsOf(offered);
    }

    @Test
    void openTransactionIsNotReadyWhileItGrowsPastMaxEvents() {
        Aggregator aggregator = new Aggregator(100, 10_000);

        aggregator.begin("tx-big");
        aggregator.changes("tx-big", 150);

        assertThat(aggregator.emitted).isEmpty();
        assertThat(aggregator.strategy.hasOpenTransaction()).isTrue();
    }

    @Test
    void intervalCompletionNeverCutsAnOpenTransaction() {
        Aggregator aggregator = new Aggregator(100, 10_000);
        aggregator.offer(change(null));
        aggregator.offer(change(null));
        List<ChangeEvent> before = List.copyOf(offered);

        aggregator.begin("tx-big");
        aggregator.changes("tx-big", 100);
        aggregator.intervalCompletion();
        aggregator.changes("tx-big", 100);
        aggregator.intervalCompletion();
        aggregator.changes("tx-big", 50);
        aggregator.end("tx-big");
        aggregator.intervalCompletion();

        List<EventBatch> batches = aggregator.withEvents();
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0).events()).as("the first interval emits only the closed changes")
                .containsExactlyElementsOf(before);
        assertThat(batches.get(1).events()).as("the transaction travels whole, later")
                .hasSize(250)
                .allSatisfy(e -> assertThat(e.tx()).isEqualTo("tx-big"));
    }

    @Test
    void transactionEndingInAPartlyFilledBatchJoinsItWholeAndMakesItReady() {
        Aggregator aggregator = new Aggregator(100, 10_000);
        for (int i = 0; i < 30; i++) {
            aggregator.offer(change(null));
        }
        List<ChangeEvent> singles = List.copyOf(offered);

        aggregator.begin("tx-80");
        aggregator.changes("tx-80", 80);
        assertThat(aggregator.emitted).as("nothing is emitted before the END").isEmpty();
        aggregator.end("tx-80");

        assertThat(aggregator.emitted).hasSize(1);
        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.events()).hasSize(110).startsWith(singles.toArray(ChangeEvent[]::new));
        assertThat(batch.events().subList(30, 110)).allSatisfy(e -> assertThat(e.tx()).isEqualTo("tx-80"));
        assertThat(batch.transactions()).isEqualTo(31);
    }


    @Test
    void transactionThatFitsJoinsTheCurrentBatch() {
        Aggregator aggregator = new Aggregator(100, 10_000);
        for (int i = 0; i < 30; i++) {
            aggregator.offer(change(null));
        }

        aggregator.transaction("tx-50", 50);
        aggregator.intervalCompletion();

        assertThat(aggregator.emitted).hasSize(1);
        assertThat(aggregator.emitted.get(0).size()).isEqualTo(80);
        assertThat(aggregator.emitted.get(0).transactions()).isEqualTo(31);
    }

    @Test
    void transactionAboveTheHardCapIsSplit() {
        Aggregator aggregator = afterOneTransaction(40, 50, 120);

        List<EventBatch> batches = aggregator.withEvents();
        assertThat(batches).hasSizeGreaterThan(1);
        assertThat(batches).allSatisfy(b -> assertThat(b.size()).isLessThanOrEqualTo(50));
        assertThat(batches.get(0).containsSplitTransaction()).isTrue();
        assertThat(batches.get(0).size()).isEqualTo(50);
        assertThat(aggregator.allEmittedEvents()).as("nothing lost, nothing repeated, in order")
                .containsExactlyElementsOf(offered);
    }

    @Test
    void wideEventsMakeBatchesAndSlicesOfAtMostMaxBytes() {
        Aggregator aggregator = new Aggregator(1000, 1000);
        long eventBytes = EventSize.of(change("tx-probe"));
        offered.clear();
        aggregator.strategy.setMaxBytes(10 * eventBytes);

        aggregator.changes(null, 25);
        aggregator.transaction("tx-wide", 35);
        aggregator.intervalCompletion();

        // a slice joins the batch being filled, as a slice above hardCap does: a batch holds at most maxBytes and a slice
        List<EventBatch> batches = aggregator.withEvents();
        assertThat(batches).allSatisfy(b -> assertThat(b.bytes()).isLessThanOrEqualTo(2 * 10 * eventBytes));
        assertThat(batches).extracting(EventBatch::size).containsExactly(10, 10, 15, 10, 10, 5);
        assertThat(batches.get(2).containsSplitTransaction()).isTrue();
        assertThat(aggregator.allEmittedEvents()).as("nothing lost, nothing repeated, in order")
                .containsExactlyElementsOf(offered);
    }

    @Test
    void aTransactionReadAgainFromItsStartAfterAReconnectIsWrittenOnceAndItsRecordsCovered() {
        Aggregator aggregator = new Aggregator(100, 50);
        aggregator.begin("tx-reread");
        aggregator.changes("tx-reread", 70);
        // the reader reconnects: Debezium resumes after the last whole transaction, without a second BEGIN
        List<ChangeEvent> firstRead = List.copyOf(offered);
        firstRead.forEach(aggregator::offer);
        aggregator.changes("tx-reread", 30);
        aggregator.end("tx-reread");
        aggregator.intervalCompletion();

        assertThat(aggregator.allEmittedEvents()).as("each event once, in order").containsExactlyElementsOf(offered);
        assertThat(aggregator.emitted.stream().mapToInt(EventBatch::admitted).sum()).as("every admitted change released")
                .isEqualTo(170);
        assertThat(aggregator.emitted.stream().mapToLong(EventBatch::lastSequence).max().orElse(-1))
                .as("the records read again are covered: the position moves past them").isEqualTo(aggregator.sequence);
    }

    @Test
    void aTransactionWhoseBeginIsSentAgainAfterAReconnectIsWrittenOnceAndEndsAtItsRealEnd() {
        Aggregator aggregator = new Aggregator(1000, 1000);
        aggregator.begin("tx-again");
        aggregator.changes("tx-again", 71);
        List<ChangeEvent> firstRead = List.copyOf(offered);
        aggregator.begin("tx-again"); // sent again after the reconnect: it looks like the END
        firstRead.forEach(aggregator::offer);
        aggregator.changes("tx-again", 29);
        aggregator.end("tx-again");
        aggregator.transaction("tx-next", 3);
        aggregator.intervalCompletion();

        assertThat(aggregator.allEmittedEvents()).as("each event once, in order").containsExactlyElementsOf(offered);
        assertThat(aggregator.emitted.stream().mapToInt(EventBatch::admitted).sum()).isEqualTo(71 + 71 + 29 + 3);
        assertThat(aggregator.emitted.stream().mapToLong(EventBatch::lastSequence).max().orElse(-1))
                .isEqualTo(aggregator.sequence);
        assertThat(aggregator.strategy.hasOpenTransaction()).isFalse();
    }

    @Test
    void eventsReadAgainFromAnotherServerAtOtherPlacesAreKept() {
        Aggregator aggregator = new Aggregator(100, 1000);
        aggregator.begin("tx-failover");
        aggregator.changes("tx-failover", 10);
        List<ChangeEvent> elsewhere = offered.stream().map(e -> new ChangeEvent(e.op(), e.table(), e.before(), e.after(),
                e.tags(), new ChangeEvent.SourcePosition("other-bin.000001", e.source().pos(), 0, e.tx(), 2L, 0L, 0L), e.tx()))
                .toList();
        elsewhere.forEach(aggregator::offer);
        aggregator.end("tx-failover");
        aggregator.intervalCompletion();

        assertThat(aggregator.allEmittedEvents()).hasSize(20);
    }

    @Test
    void partsOfASplitTransactionFillBatchesUpToMaxEvents() {
        Aggregator aggregator = afterOneTransaction(100, 50, 120);

        List<EventBatch> batches = aggregator.withEvents();
        assertThat(batches.get(0).containsSplitTransaction()).isTrue();
        assertThat(batches).extracting(EventBatch::size).containsExactly(100, 20);
        assertThat(aggregator.allEmittedEvents()).containsExactlyElementsOf(offered);
    }

    @Test
    void everyBatchHoldingPartOfASplitTransactionSaysSo() {
        Aggregator aggregator = afterOneTransaction(40, 50, 120);

        assertThat(aggregator.withEvents()).allSatisfy(b -> assertThat(b.containsSplitTransaction()).isTrue());
    }

    @Test
    void slicesBeforeTheLastCoverNoRecordsAndTheLastCoversTheWholeTransaction() {
        Aggregator aggregator = new Aggregator(10, 50);
        aggregator.transaction("tx-small", 3);

        aggregator.transaction("tx-huge", 160);
        aggregator.intervalCompletion();

        List<EventBatch> batches = aggregator.withEvents();
        assertThat(batches).extracting(EventBatch::size).containsExactly(53, 50, 50, 10);
        assertThat(batches.get(0).firstSequence()).as("the small transaction is delivered with the first slice")
                .isEqualTo(1);
        assertThat(batches.get(0).lastSequence()).as("but not the huge one's BEGIN and first slice").isEqualTo(5);
        assertThat(batches.get(1).firstSequence()).as("a middle slice saves no position").isEqualTo(-1);
        assertThat(batches.get(2).firstSequence()).isEqualTo(-1);
        assertThat(batches.get(3).firstSequence()).as("the last slice covers the transaction from its BEGIN")
                .isEqualTo(6);
        assertThat(batches.get(3).lastSequence()).as("to its END").isEqualTo(aggregator.sequence);
        assertThat(aggregator.allEmittedEvents()).as("in order, nothing lost").containsExactlyElementsOf(offered);
    }

    @Test
    void aMillionEventTransactionNeverMakesABatchAboveTheSlice() {
        Aggregator aggregator = new Aggregator(100, 1000);
        aggregator.begin("tx-million");
        int largest = 0;
        int emittedEvents = 0;
        for (int i = 0; i < 1_000_000; i++) {
            aggregator.offer(change("tx-million"));
            EventBatch current = aggregator.currentBatch();
            largest = Math.max(largest, current == null ? 0 : current.size());
            if (aggregator.emitted.size() > 10) {
                emittedEvents += aggregator.emitted.stream().mapToInt(EventBatch::size).sum();
                largest = Math.max(largest, aggregator.emitted.stream().mapToInt(EventBatch::size).max().orElse(0));
                aggregator.emitted.clear();
                offered.clear();
            }
        }
        aggregator.end("tx-million");
        aggregator.intervalCompletion();
        emittedEvents += aggregator.emitted.stream().mapToInt(EventBatch::size).sum();

        assertThat(largest).isLessThanOrEqualTo(1000);
        assertThat(emittedEvents).isEqualTo(1_000_000);
        assertThat(aggregator.emitted.get(aggregator.emitted.size() - 1).lastSequence()).isEqualTo(1_000_002);
    }

    @Test
    void skippedRecordOnlyExtendsTheSequenceRange() {
        Aggregator aggregator = new Aggregator(100, 1000);

        aggregator.offer(change(null));
        aggregator.skipped();
        aggregator.offer(change(null));
        aggregator.skipped();
        aggregator.intervalCompletion();

        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.size()).isEqualTo(2);
        assertThat(batch.transactions()).isEqualTo(2);
        assertThat(batch.firstSequence()).isEqualTo(1);
        assertThat(batch.lastSequence()).isEqualTo(4);
    }

    @Test
    void batchOfOnlySkippedRecordsIsEmptyButCoversThem() {
        Aggregator aggregator = new Aggregator(1, 1000);

        aggregator.skipped();
        aggregator.skipped();
        assertThat(aggregator.currentGroupIsReady()).as("an empty batch is never ready").isFalse();
        aggregator.intervalCompletion();

        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.isEmpty()).isTrue();
        assertThat(batch.firstSequence()).isEqualTo(1);
        assertThat(batch.lastSequence()).isEqualTo(2);
    }

    @Test
    void skippedRecordInsideATransactionTravelsWithTheTransaction() {
        Aggregator aggregator = new Aggregator(100, 1000);
        aggregator.offer(change(null));

        aggregator.begin("tx-1");
        aggregator.offer(change("tx-1"));
        aggregator.intervalCompletion();
        aggregator.skipped();
        aggregator.offer(change("tx-1"));
        aggregator.end("tx-1");
        aggregator.intervalCompletion();

        List<EventBatch> batches = aggregator.withEvents();
        assertThat(batches).extracting(EventBatch::firstSequence).containsExactly(1L, 2L);
        assertThat(batches).extracting(EventBatch::lastSequence).containsExactly(1L, 6L);
    }

    @Test
    void eventWithoutTxInsideAnOpenTransactionGetsItsId() {
        Aggregator aggregator = new Aggregator(100, 1000);

        aggregator.begin("0-1-77");
        aggregator.offer(change(null));
        aggregator.offer(change("0-1-77"));
        aggregator.end("0-1-77");
        aggregator.intervalCompletion();

        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.events()).extracting(ChangeEvent::tx).containsExactly("0-1-77", "0-1-77");
        assertThat(ids(batch)).isEqualTo(ids(offered));
        assertThat(batch.transactions()).isEqualTo(1);
    }

    @Test
    void eventWithoutTxOutsideTransactionsKeepsNoTx() {
        Aggregator aggregator = new Aggregator(100, 1000);

        aggregator.offer(change(null));
        aggregator.intervalCompletion();

        assertThat(aggregator.emitted.get(0).events().get(0).tx()).isNull();
    }

    @Test
    void beginOfAnotherTransactionClosesOneWhoseEndNeverCame() {
        Aggregator aggregator = new Aggregator(100, 1000);

        aggregator.begin("tx-a");
        aggregator.changes("tx-a", 2);
        aggregator.transaction("tx-b", 3);
        aggregator.intervalCompletion();

        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.events()).containsExactlyElementsOf(offered);
        assertThat(batch.transactions()).isEqualTo(2);
        assertThat(aggregator.strategy.hasOpenTransaction()).isFalse();
    }

    @Test
    void consecutiveBatchesCoverEverySequenceNumberOnceAndKeepBinlogOrder() {
        Aggregator aggregator = new Aggregator(20, 60);
        Random random = new Random(20240315);
        int transactions = 0;
        while (aggregator.sequence < 3000) {
            int kind = random.nextInt(10);
            if (kind < 3) {
                aggregator.offer(change(null));
            } else if (kind < 4) {
                aggregator.skipped();
            } else if (kind < 5) {
                aggregator.intervalCompletion();
            } else {
                String tx = "tx-" + ++transactions;
                aggregator.begin(tx);
                int size = random.nextInt(10) == 0 ? 50 + random.nextInt(100) : 1 + random.nextInt(15);
                for (int i = 0; i < size; i++) {
                    if (random.nextInt(20) == 0) {
                        aggregator.skipped();
                    }
                    if (random.nextInt(30) == 0) {
                        aggregator.intervalCompletion();
                    }
                    aggregator.offer(change(tx));
                }
                aggregator.end(tx);
            }
        }
        aggregator.intervalCompletion();
        assertThat(aggregator.emitted).as("the stream includes split transactions")
                .anyMatch(EventBatch::containsSplitTransaction);

        long expectedFirst = 1;
        for (EventBatch batch : aggregator.emitted) {
            if (batch.firstSequence() < 0) {
                assertThat(batch.isEmpty() || batch.containsSplitTransaction())
                        .as("only a slice of a transaction that goes on covers no records: " + batch).isTrue();
                continue;
            }
            assertThat(batch.firstSequence()).as("start of " + batch).isEqualTo(expectedFirst);
            assertThat(batch.lastSequence()).isGreaterThanOrEqualTo(batch.firstSequence());
            expectedFirst = batch.lastSequence() + 1;
        }
        assertThat(expectedFirst - 1).as("the last batch ends at the last record").isEqualTo(aggregator.sequence);
        assertThat(ids(aggregator.allEmittedEvents())).isEqualTo(ids(offered));
    }

    /** One transaction of this many events through the batching with these settings, the interval completed. */
    private Aggregator afterOneTransaction(int maxEvents, int hardCap, int events) {
        Aggregator aggregator = new Aggregator(maxEvents, hardCap);
        aggregator.transaction("tx-huge", events);
        aggregator.intervalCompletion();
        return aggregator;
    }

    /** A strategy with the settings these tests were written for; each test changes what it is about. */
    private static TransactionBatchStrategy strategyWithSettings() {
        TransactionBatchStrategy strategy = new TransactionBatchStrategy();
        strategy.setMaxEvents(100);
        strategy.setHardCap(10_000);
        strategy.setMaxBytes(4L << 20);
        return strategy;
    }

    @Test
    void settingsBelowOneAreRejected() {
        TransactionBatchStrategy strategy = strategyWithSettings();

        assertThatThrownBy(() -> strategy.setMaxEvents(0)).isInstanceOf(ConfigurationException.class)
                .hasMessage("batch.maxEvents must be at least 1, was 0");
        assertThatThrownBy(() -> strategy.setHardCap(0)).isInstanceOf(ConfigurationException.class)
                .hasMessage("batch.hardCap must be at least 1, was 0");
    }

    /**
     * The route's real aggregator: a batch should go out once it holds maxEvents. Camel's aggregator does not
     * evaluate the completion predicate when the strategy can pre-complete, so isBatchReady is never asked.
     */
    @Test
    void camelAggregatorEmitsABatchAtMaxEvents() throws Exception {
        List<EventBatch> emitted = new CopyOnWriteArrayList<>();
        TransactionBatchStrategy strategy = strategyWithSettings();
        strategy.setMaxEvents(3);
        startAggregatorRoute(strategy, 60_000, emitted);
        for (long sequence = 1; sequence <= 3; sequence++) {
            sendToAggregator(sequence);
        }

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(emitted).hasSize(1));
        assertThat(emitted.get(0).size()).isEqualTo(3);
    }

    /** With the real aggregator, completed by size and by time: serials 0, 1, 2... in completion order. */
    @Test
    void camelAggregatorNumbersItsBatchesFromZeroWithoutGaps() throws Exception {
        List<EventBatch> emitted = new CopyOnWriteArrayList<>();
        TransactionBatchStrategy strategy = strategyWithSettings();
        strategy.setMaxEvents(2);
        startAggregatorRoute(strategy, 100, emitted);
        long arrival = 0;
        for (int events : new int[] {2, 1, 2, 2, 1}) {
            for (int i = 0; i < events; i++) {
                sendToAggregator(++arrival);
            }
            if (events == 1) {
                // the interval completes the lone event
                int before = emitted.size();
                await().atMost(Duration.ofSeconds(5)).until(() -> emitted.size() > before);
            }
        }

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(emitted).hasSize(5));
        assertThat(emitted).extracting(EventBatch::serial).containsExactly(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void aSchemaChangeEndsItsTransactionWhichHasNoEnd() {
        Aggregator aggregator = new Aggregator(100, 1000);

        aggregator.begin("0-1-15");
        aggregator.offer(new SkippedRecord("schema change on cdc", true));

        assertThat(aggregator.strategy.hasOpenTransaction()).isFalse();
        aggregator.transaction("0-1-16", 2);
        aggregator.intervalCompletion();
        assertThat(aggregator.allEmittedEvents()).containsExactlyElementsOf(offered);
        assertThat(aggregator.emitted.get(0).transactions()).isEqualTo(2);
    }

    @Test
    void aTableChangeEndsItsTransactionAndALateEndIsOnlyCovered() {
        Aggregator aggregator = new Aggregator(100, 1000);
        ChangeEvent truncate = new ChangeEvent("t", "shop.users", null, null, new ArrayList<>(),
                new ChangeEvent.SourcePosition("mysql-bin.000001", 900L, 0, "0-1-14", 1L, 0L, 0L), "0-1-14");

        aggregator.begin("0-1-14");
        aggregator.offer(truncate);
        assertThat(aggregator.strategy.hasOpenTransaction()).isFalse();
        aggregator.end("0-1-14");
        assertThat(aggregator.strategy.hasOpenTransaction()).as("a late END opens nothing").isFalse();
        aggregator.intervalCompletion();

        EventBatch batch = aggregator.emitted.get(0);
        assertThat(batch.events()).containsExactly(truncate);
        assertThat(batch.transactions()).isEqualTo(1);
        assertThat(batch.firstSequence()).isEqualTo(1L);
        assertThat(batch.lastSequence()).isEqualTo(3L);
    }

    /** The route's aggregate step, as the pipeline has it, collecting what it emits. */
    private void startAggregatorRoute(TransactionBatchStrategy strategy, long intervalMs, List<EventBatch> emitted)
            throws Exception {
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:in")
                        .aggregate(constant("batch"), strategy)
                        .completionPredicate(strategy)
                        .completionInterval(intervalMs)
                        .process(e -> emitted.add(e.getProperty(EventBatch.PROPERTY, EventBatch.class)));
            }
        });
        camel.start();
    }

    /** One row change outside any transaction, numbered as the gate numbers records on entry. */
    private void sendToAggregator(long sequence) {
        ChangeEvent event = change(null);
        camel.createProducerTemplate().send("direct:in", e -> {
            e.getMessage().setBody(event);
            e.setProperty(SourceChange.SEQUENCE_PROPERTY, sequence);
        });
    }
}
