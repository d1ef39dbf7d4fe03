package dev.cacheinvalidation.event;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DebeziumChangeMapperTest {

    private static final String GTID = "3E11FA47-71CA-11E1-9E33-C80AA9429562:23";

    private static final Schema USER = SchemaBuilder.struct().name("shop.shop.users.Value")
            .field("id", Schema.INT32_SCHEMA)
            .field("email", Schema.OPTIONAL_STRING_SCHEMA)
            .field("balance", Decimal.builder(2).optional().build())
            .build();

    private static final Schema TRANSACTION_KEY = SchemaBuilder.struct()
            .name("io.debezium.connector.common.TransactionMetadataKey")
            .field("id", Schema.STRING_SCHEMA)
            .build();

    private final CamelContext camel = new DefaultCamelContext();

    @AfterEach
    void closeCamel() throws Exception {
        camel.close();
    }

    private static Struct user(int id, String email) {
        return new Struct(USER).put("id", id).put("email", email).put("balance", new BigDecimal("10.50"));
    }

    /** The source block of a MySQL change, as the Debezium consumer puts it in its header. */
    private static Map<String, Object> source(String table, String gtid) {
        return new DebeziumSourceBlock("cdc", "shop", table, gtid, "mysql-bin.000003", 1542L, 2, 223344L,
                1_710_505_445_000L).toHeader();
    }

    private Message message() {
        Exchange exchange = new DefaultExchange(camel);
        return exchange.getMessage();
    }

    @Test
    void updateCarriesOperationTableRowsAndTransaction() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("u", source("users", GTID), user(1, "old@example.com"),
                user(1, "new@example.com"));

        assertThat(event.op()).isEqualTo("u");
        assertThat(event.table()).isEqualTo("shop.users");
        assertThat(event.before()).containsEntry("id", 1).containsEntry("email", "old@example.com");
        assertThat(event.after()).containsEntry("id", 1).containsEntry("email", "new@example.com")
                .containsEntry("balance", "10.50");
        assertThat(event.tags()).isEmpty();
        assertThat(event.tx()).isEqualTo(GTID);
    }

    @Test
    void sourcePositionComesFromTheSourceBlock() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("u", source("users", GTID), user(1, "a"), user(1, "b"));

        assertThat(event.source()).isEqualTo(
                new ChangeEvent.SourcePosition("mysql-bin.000003", 1542L, 2, GTID, 223344L, 1_710_505_445_000L,
                        1_710_505_445_000_000L));
    }

    @Test
    void theCommitTimeKeepsTheMicrosecondsAMysql8BinlogGives() {
        // MySQL 8 with GTIDs: Debezium takes the transaction's original_commit_timestamp, in microseconds
        Map<String, Object> source = source("users", GTID);
        source.put("ts_ms", 1_710_505_445_123L);
        source.put("ts_us", 1_710_505_445_123_456L);

        ChangeEvent event = DebeziumChangeMapper.toEvent("u", source, user(1, "a"), user(1, "b"));

        assertThat(event.source().tsMs()).isEqualTo(1_710_505_445_123L);
        assertThat(event.source().tsUs()).isEqualTo(1_710_505_445_123_456L);
    }

    @Test
    void aSourceWithoutMicrosecondsGetsThemFromTheMilliseconds() {
        Map<String, Object> source = source("users", GTID);
        source.remove("ts_us");

        ChangeEvent event = DebeziumChangeMapper.toEvent("u", source, user(1, "a"), user(1, "b"));

        assertThat(event.source().tsUs()).isEqualTo(1_710_505_445_000_000L);
    }

    @Test
    void changeWithoutGtidHasNoTransactionId() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("c", source("users", null), null, user(5, "x"));

        assertThat(event.tx()).isNull();
        assertThat(event.source().gtid()).isNull();
        assertThat(event.source().file()).isEqualTo("mysql-bin.000003");
    }

    @Test
    void insertHasNoBefore() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("c", source("users", GTID), null, user(5, "x"));

        assertThat(event.before()).isNull();
        assertThat(event.after()).containsEntry("id", 5);
    }

    @Test
    void deleteHasBeforeAndNoAfter() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("d", source("users", GTID), user(7, "gone@example.com"), null);

        assertThat(event.op()).isEqualTo("d");
        assertThat(event.after()).isNull();
        assertThat(event.before()).containsEntry("id", 7).containsEntry("email", "gone@example.com");
    }

    @Test
    void primaryKeyChangeMapsToDeleteOfOldKeyAndCreateOfNewKey() {
        // Debezium reports an UPDATE of the primary key as a delete of the old row and a create of the new one
        Map<String, Object> deleteSource = source("users", GTID);
        Map<String, Object> createSource = source("users", GTID);
        createSource.put("row", 3);

        List<ChangeEvent> events = List.of(
                DebeziumChangeMapper.toEvent("d", deleteSource, user(1, "same@example.com"), null),
                DebeziumChangeMapper.toEvent("c", createSource, null, user(2, "same@example.com")));

        assertThat(events).extracting(ChangeEvent::op).containsExactly("d", "c");
        assertThat(events.get(0).before()).containsEntry("id", 1);
        assertThat(events.get(0).after()).isNull();
        assertThat(events.get(1).before()).isNull();
        assertThat(events.get(1).after()).containsEntry("id", 2);
        assertThat(events).extracting(ChangeEvent::tx).containsOnly(GTID);
        assertThat(events).extracting(e -> e.source().row()).containsExactly(2, 3);
    }

    @Test
    void changeRecordFromTheConsumerBecomesChangeEvent() {
        Exchange exchange = new DefaultExchange(camel);
        Message in = exchange.getMessage();
        in.setHeader("CamelDebeziumIdentifier", "cdc.shop.users");
        in.setHeader("CamelDebeziumOperation", "u");
        in.setHeader("CamelDebeziumSourceMetadata", source("users", GTID));
        in.setHeader("CamelDebeziumBefore", user(1, "old@example.com"));
        in.setBody(user(1, "new@example.com"));

        DebeziumChangeMapper mapper = new DebeziumChangeMapper();
        mapper.setMaxValueLength(Integer.MAX_VALUE);
        mapper.process(exchange);

        assertThat(exchange.getMessage().getBody()).isInstanceOfSatisfying(ChangeEvent.class, event -> {
            assertThat(event.op()).isEqualTo("u");
            assertThat(event.table()).isEqualTo("shop.users");
            assertThat(event.before()).containsEntry("email", "old@example.com");
            assertThat(event.after()).containsEntry("email", "new@example.com");
            assertThat(event.tx()).isEqualTo(GTID);
        });
    }

    @Test
    void deleteRecordFromTheConsumerHasNoAfter() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc.shop.users");
        in.setHeader("CamelDebeziumOperation", "d");
        in.setHeader("CamelDebeziumSourceMetadata", source("users", GTID));
        in.setHeader("CamelDebeziumBefore", user(3, "bye@example.com"));
        in.setBody(null);

        SourceChange change = DebeziumChangeMapper.map(in);

        assertThat(change).isInstanceOfSatisfying(ChangeEvent.class, event -> {
            assertThat(event.after()).isNull();
            assertThat(event.before()).containsEntry("id", 3);
        });
    }

    @Test
    void transactionRecordWithStringKeyBecomesBoundaryWithThatId() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc.transaction");
        in.setHeader("CamelDebeziumKey", GTID);

        assertThat(DebeziumChangeMapper.map(in)).isEqualTo(new TransactionBoundary(GTID));
    }

    @Test
    void transactionRecordWithStructKeyBecomesBoundaryWithTheIdField() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc.transaction");
        in.setHeader("CamelDebeziumKey", new Struct(TRANSACTION_KEY).put("id", "0-1-42"));

        assertThat(DebeziumChangeMapper.map(in)).isEqualTo(new TransactionBoundary("0-1-42"));
    }

    @Test
    void schemaChangeIsSkipped() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc");
        in.setHeader("CamelDebeziumDdlSQL", "ALTER TABLE users ADD COLUMN nickname VARCHAR(40)");

        assertThat(DebeziumChangeMapper.map(in)).isInstanceOfSatisfying(SkippedRecord.class,
                skipped -> assertThat(skipped.reason()).contains("cdc"));
    }

    @Test
    void schemaChangeIsSkippedEvenWithAnOperationHeader() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc");
        in.setHeader("CamelDebeziumOperation", "c");
        in.setHeader("CamelDebeziumDdlSQL", "CREATE TABLE t (id INT)");

        assertThat(DebeziumChangeMapper.map(in)).isInstanceOf(SkippedRecord.class);
    }

    @Test
    void recordWithoutOperationIsSkipped() {
        Message in = message();
        in.setBody("heartbeat");

        assertThat(DebeziumChangeMapper.map(in)).isInstanceOf(SkippedRecord.class);
    }

    @Test
    void jsonOfAnEventUsesTheNativeFieldNames() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("u", source("users", GTID), user(1, "a@x"), user(1, "b@x"));

        JsonNode json = new ObjectMapper().valueToTree(event);

        assertThat(json.properties()).extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("op", "table", "before", "after", "tags", "source", "tx");
        assertThat(json.get("source").properties()).extracting(Map.Entry::getKey)
                .containsExactlyInAnyOrder("file", "pos", "row", "gtid", "server_id", "ts_ms", "ts_us");
        assertThat(json.get("source").get("server_id").asLong()).isEqualTo(223344L);
        assertThat(json.get("source").get("ts_ms").asLong()).isEqualTo(1_710_505_445_000L);
        assertThat(json.get("tx").asText()).isEqualTo(GTID);
        assertThat(json.get("after").get("balance").isTextual()).as("decimals travel as strings").isTrue();
        assertThat(json.get("after").get("id").isInt()).isTrue();
        assertThat(json.get("tags").isArray()).isTrue();
    }

    @Test
    void jsonOfADeleteHasNullAfter() {
        ChangeEvent event = DebeziumChangeMapper.toEvent("d", source("users", GTID), user(1, "a@x"), null);

        JsonNode json = new ObjectMapper().valueToTree(event);

        assertThat(json.has("after")).isTrue();
        assertThat(json.get("after").isNull()).isTrue();
        assertThat(json.get("before").get("id").asInt()).isEqualTo(1);
    }

    @Test
    void schemaChangeSaysItIsOneSoItEndsItsTransaction() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc");
        in.setHeader("CamelDebeziumDdlSQL", "ALTER TABLE users ADD COLUMN nickname VARCHAR(40)");
        in.setHeader("CamelDebeziumSourceMetadata", source("users", GTID));

        assertThat(DebeziumChangeMapper.map(in)).isEqualTo(new SkippedRecord("schema change on cdc", true));
    }

    @Test
    void heartbeatIsNoSchemaChange() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "__debezium-heartbeat.cdc");

        assertThat(DebeziumChangeMapper.map(in)).isEqualTo(new SkippedRecord("schema change on __debezium-heartbeat.cdc"));
    }

    @Test
    void truncateBecomesATableChangeWithoutRows() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc.shop.users");
        in.setHeader("CamelDebeziumOperation", "t");
        in.setHeader("CamelDebeziumSourceMetadata", source("users", GTID));

        ChangeEvent event = (ChangeEvent) DebeziumChangeMapper.map(in);

        assertThat(event.op()).isEqualTo(ChangeEvent.TABLE_CHANGE);
        assertThat(event.table()).isEqualTo("shop.users");
        assertThat(event.before()).isNull();
        assertThat(event.after()).isNull();
        assertThat(event.tx()).isEqualTo(GTID);
    }

    @Test
    void dropTableBecomesATableChangeOfTheTableItNames() {
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc");
        in.setHeader("CamelDebeziumDdlSQL", "DROP TABLE `shop`.`users`");
        in.setHeader("CamelDebeziumSourceMetadata", source("users", GTID));

        assertThat(DebeziumChangeMapper.map(in)).isInstanceOfSatisfying(ChangeEvent.class, event -> {
            assertThat(event.op()).isEqualTo("t");
            assertThat(event.table()).isEqualTo("shop.users");
            assertThat(event.before()).isNull();
            assertThat(event.after()).isNull();
        });
    }

    @Test
    void dropTableIsRecognisedInAnyCaseAndAfterAComment() {
        assertThat(DebeziumChangeMapper.isDropTable("drop table if exists users")).isTrue();
        assertThat(DebeziumChangeMapper.isDropTable("/* generated */ DROP  TABLE users")).isTrue();
        assertThat(DebeziumChangeMapper.isDropTable("DROP DATABASE shop")).isFalse();
        assertThat(DebeziumChangeMapper.isDropTable("ALTER TABLE users DROP COLUMN email")).isFalse();
        assertThat(DebeziumChangeMapper.isDropTable("DROP TABLESPACE ts")).isFalse();
    }

    @Test
    void dropTableOfASchemaSnapshotIsNoChange() {
        Map<String, Object> source = source("users", null);
        source.put("snapshot", "true");
        Message in = message();
        in.setHeader("CamelDebeziumIdentifier", "cdc");
        in.setHeader("CamelDebeziumDdlSQL", "DROP TABLE IF EXISTS `shop`.`users`");
        in.setHeader("CamelDebeziumSourceMetadata", source);

        assertThat(DebeziumChangeMapper.map(in)).isInstanceOf(SkippedRecord.class);
    }
}
