package dev.cacheinvalidation.event;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ColumnValuesTest {

    private static final LocalDateTime MOMENT = LocalDateTime.of(2024, 3, 15, 12, 24, 5, 123_456_000);

    /** The value a single column of the given schema turns into. */
    private static Object convert(Schema columnSchema, Object value) {
        Schema row = SchemaBuilder.struct().name("shop.t.Value").field("c", columnSchema).build();
        Struct struct = new Struct(row).put("c", value);
        return ColumnValues.toMap(struct).get("c");
    }

    private static Schema logical(SchemaBuilder type, String name) {
        return type.name(name).optional().build();
    }

    private static long epochMillis(LocalDateTime t) {
        return t.toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    private static long epochMicros(LocalDateTime t) {
        return ChronoUnit.MICROS.between(LocalDateTime.of(1970, 1, 1, 0, 0).toInstant(ZoneOffset.UTC),
                t.toInstant(ZoneOffset.UTC));
    }

    @Test
    void integersStayIntegerAndLongNumbers() {
        assertThat(convert(Schema.INT32_SCHEMA, 42)).isInstanceOf(Integer.class).isEqualTo(42);
        assertThat(convert(Schema.INT64_SCHEMA, 9_007_199_254_740_993L)).isInstanceOf(Long.class)
                .isEqualTo(9_007_199_254_740_993L);
        assertThat(convert(Schema.INT16_SCHEMA, (short) 7)).isEqualTo((short) 7);
    }

    @Test
    void stringsAndBooleansPassThrough() {
        assertThat(convert(Schema.STRING_SCHEMA, "héllo")).isEqualTo("héllo");
        assertThat(convert(Schema.BOOLEAN_SCHEMA, true)).isEqualTo(Boolean.TRUE);
    }

    @Test
    void nullColumnsStayNullAndKeepTheirKey() {
        Schema row = SchemaBuilder.struct()
                .field("id", Schema.INT32_SCHEMA)
                .field("email", Schema.OPTIONAL_STRING_SCHEMA)
                .field("price", Decimal.builder(2).optional().build())
                .field("born", logical(SchemaBuilder.int32(), "io.debezium.time.Date"))
                .field("avatar", Schema.OPTIONAL_BYTES_SCHEMA)
                .build();
        Map<String, Object> map = ColumnValues.toMap(new Struct(row).put("id", 1));

        assertThat(map).containsEntry("id", 1)
                .containsEntry("email", null)
                .containsEntry("price", null)
                .containsEntry("born", null)
                .containsEntry("avatar", null)
                .hasSize(5);
    }

    @Test
    void columnsKeepTheTableOrder() {
        Schema row = SchemaBuilder.struct()
                .field("zeta", Schema.INT32_SCHEMA)
                .field("alpha", Schema.INT32_SCHEMA)
                .field("mid", Schema.INT32_SCHEMA)
                .build();
        Map<String, Object> map = ColumnValues.toMap(new Struct(row).put("zeta", 1).put("alpha", 2).put("mid", 3));

        assertThat(map.keySet()).containsExactly("zeta", "alpha", "mid");
    }

    @Test
    void noRowGivesNoMap() {
        assertThat(ColumnValues.toMap(null)).isNull();
    }

    @Test
    void decimalsBecomeExactStringsWithAllDigits() {
        Object value = convert(Decimal.builder(2).build(), new BigDecimal("12345678901234567.89"));

        assertThat(value).isEqualTo("12345678901234567.89");
    }

    @Test
    void decimalsKeepTheirScaleAndSign() {
        assertThat(convert(Decimal.builder(2).build(), new BigDecimal("0.10"))).isEqualTo("0.10");
        assertThat(convert(Decimal.builder(2).build(), new BigDecimal("-0.05"))).isEqualTo("-0.05");
    }

    @Test
    void zeroDecimalWithLargeScaleIsWrittenWithoutExponent() {
        BigDecimal zero = BigDecimal.ZERO.setScale(10);
        assertThat(zero.toString()).contains("E");

        assertThat(convert(Decimal.builder(10).build(), zero)).isEqualTo("0.0000000000");
    }

    @Test
    void variableScaleDecimalBecomesExactString() {
        Schema variable = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal")
                .field("scale", Schema.INT32_SCHEMA)
                .field("value", Schema.BYTES_SCHEMA)
                .optional()
                .build();
        Struct value = new Struct(variable).put("scale", 3)
                .put("value", new BigInteger("-98765432109876543210").toByteArray());

        assertThat(convert(variable, value)).isEqualTo("-98765432109876543.210");
    }

    @Test
    void debeziumDateBecomesIsoDate() {
        Schema date = logical(SchemaBuilder.int32(), "io.debezium.time.Date");

        assertThat(convert(date, (int) LocalDate.of(2024, 3, 15).toEpochDay())).isEqualTo("2024-03-15");
        assertThat(convert(date, (int) LocalDate.of(1969, 7, 20).toEpochDay())).isEqualTo("1969-07-20");
    }

    @Test
    void debeziumTimestampInMillisecondsBecomesIsoLocalDateTime() {
        Schema timestamp = logical(SchemaBuilder.int64(), "io.debezium.time.Timestamp");

        assertThat(convert(timestamp, epochMillis(MOMENT))).isEqualTo("2024-03-15T12:24:05.123");
    }

    @Test
    void timestampOnAWholeMinuteIsStillParseableIso() {
        Schema timestamp = logical(SchemaBuilder.int64(), "io.debezium.time.Timestamp");
        LocalDateTime noon = LocalDateTime.of(2024, 3, 15, 12, 0);

        Object value = convert(timestamp, epochMillis(noon));

        assertThat(LocalDateTime.parse((String) value)).isEqualTo(noon);
    }

    @Test
    void debeziumMicroTimestampKeepsMicroseconds() {
        Schema timestamp = logical(SchemaBuilder.int64(), "io.debezium.time.MicroTimestamp");

        assertThat(convert(timestamp, epochMicros(MOMENT))).isEqualTo("2024-03-15T12:24:05.123456");
    }

    @Test
    void microTimestampBeforeTheEpochIsNotShifted() {
        Schema timestamp = logical(SchemaBuilder.int64(), "io.debezium.time.MicroTimestamp");
        LocalDateTime before = LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000);

        assertThat(convert(timestamp, epochMicros(before))).isEqualTo("1969-12-31T23:59:59.999999");
    }

    @Test
    void debeziumMicroTimeBecomesIsoTimeOfDay() {
        Schema time = logical(SchemaBuilder.int64(), "io.debezium.time.MicroTime");
        long micros = LocalTime.of(12, 24, 5, 123_456_000).toNanoOfDay() / 1_000;

        assertThat(convert(time, micros)).isEqualTo("12:24:05.123456");
    }

    @Test
    void mysqlTimeBeyondOneDayBecomesIsoDuration() {
        Schema time = logical(SchemaBuilder.int64(), "io.debezium.time.MicroTime");
        long micros = Duration.ofHours(25).plusMinutes(30).toNanos() / 1_000;

        Object value = convert(time, micros);

        assertThat(Duration.parse((String) value)).isEqualTo(Duration.ofHours(25).plusMinutes(30));
    }

    @Test
    void negativeMysqlTimeBecomesNegativeIsoDuration() {
        Schema time = logical(SchemaBuilder.int64(), "io.debezium.time.MicroTime");

        Object value = convert(time, -Duration.ofHours(2).toNanos() / 1_000);

        assertThat(Duration.parse((String) value)).isEqualTo(Duration.ofHours(-2));
    }

    @Test
    void zonedTimestampStringIsKeptAsIs() {
        Schema zoned = logical(SchemaBuilder.string(), "io.debezium.time.ZonedTimestamp");

        assertThat(convert(zoned, "2024-03-15T12:24:05.123Z")).isEqualTo("2024-03-15T12:24:05.123Z");
    }

    @Test
    void connectTimestampBecomesIsoInstant() {
        Schema connect = org.apache.kafka.connect.data.Timestamp.builder().optional().build();
        java.util.Date date = java.util.Date.from(MOMENT.truncatedTo(ChronoUnit.MILLIS).toInstant(ZoneOffset.UTC));

        assertThat(convert(connect, date)).isEqualTo("2024-03-15T12:24:05.123Z");
    }

    @Test
    void bytesBecomeBase64() {
        byte[] raw = {0, 1, 2, (byte) 0xff};

        assertThat(convert(Schema.BYTES_SCHEMA, raw)).isEqualTo("AAEC/w==");
        assertThat(convert(Schema.BYTES_SCHEMA, ByteBuffer.wrap(raw))).isEqualTo("AAEC/w==");
    }

    @Test
    void bytesFromAPartlyReadBufferAreTheRemainingOnes() {
        ByteBuffer buffer = ByteBuffer.wrap(new byte[] {9, 0, 1, 2, (byte) 0xff});
        buffer.get();

        assertThat(convert(Schema.BYTES_SCHEMA, buffer)).isEqualTo("AAEC/w==");
        assertThat(buffer.remaining()).as("the record's buffer is left as it was").isEqualTo(4);
    }

    @Test
    void finiteFloatsStayNumbersAndNonFiniteOnesBecomeStrings() {
        assertThat(convert(Schema.FLOAT64_SCHEMA, 1.5d)).isEqualTo(1.5d);
        assertThat(convert(Schema.FLOAT64_SCHEMA, Double.NaN)).isEqualTo("NaN");
        assertThat(convert(Schema.FLOAT32_SCHEMA, Float.POSITIVE_INFINITY)).isEqualTo("Infinity");
    }

    @Test
    void nestedStructsAndArraysAreConvertedInside() {
        Schema inner = SchemaBuilder.struct().field("amount", Decimal.builder(1).build()).build();
        Schema row = SchemaBuilder.struct()
                .field("line", inner)
                .field("prices", SchemaBuilder.array(Decimal.builder(2).build()).build())
                .build();
        Struct struct = new Struct(row)
                .put("line", new Struct(inner).put("amount", new BigDecimal("2.5")))
                .put("prices", List.of(new BigDecimal("1.00"), new BigDecimal("99999999999999999.99")));

        Map<String, Object> map = ColumnValues.toMap(struct);

        assertThat(map.get("line")).isEqualTo(Map.of("amount", "2.5"));
        assertThat(map.get("prices")).isEqualTo(List.of("1.00", "99999999999999999.99"));
    }

    @Test
    void textAndBinaryLongerThanTheLimitAreCutAndMarkedWithTheirLength() {
        Schema row = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).field("body", Schema.STRING_SCHEMA)
                .field("short", Schema.STRING_SCHEMA).field("blob", Schema.BYTES_SCHEMA).build();
        Struct struct = new Struct(row).put("id", 7).put("body", "x".repeat(1000)).put("short", "kept")
                .put("blob", new byte[300]);

        Map<String, Object> map = ColumnValues.toMap(struct, 10);

        assertThat(map.get("id")).isEqualTo(7);
        assertThat(map.get("body")).isEqualTo("xxxxxxxxxx...(truncated, length 1000)");
        assertThat(map.get("short")).isEqualTo("kept");
        assertThat(map.get("blob")).isEqualTo("AAAAAAAAAAAAAA==...(truncated, length 300)");
    }

    @Test
    void valuesAtTheLimitStayWhole() {
        Schema row = SchemaBuilder.struct().field("body", Schema.STRING_SCHEMA).build();

        assertThat(ColumnValues.toMap(new Struct(row).put("body", "x".repeat(10)), 10).get("body"))
                .isEqualTo("x".repeat(10));
    }
}
