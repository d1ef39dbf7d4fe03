package dev.cacheinvalidation.event;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns a Debezium row ({@link Struct}) into a plain map with JSON-natural values: numbers stay numbers, decimals
 * become exact decimal strings (a JSON number would lose digits in JavaScript), dates and times become ISO-8601
 * strings, binary values base64.
 */
public final class ColumnValues {

    private ColumnValues() {
    }

    public static Map<String, Object> toMap(Struct row) {
        return toMap(row, Integer.MAX_VALUE);
    }

    /**
     * The same, with every text value longer than {@code maxLength} characters, and every binary value longer than
     * {@code maxLength} bytes, cut to that length and marked ({@link #truncated}): a column of megabytes (an
     * article's body, a JSON document) reaches the script bounded instead of filling the heap.
     */
    public static Map<String, Object> toMap(Struct row, int maxLength) {
        if (row == null) {
            return null;
        }
        List<Field> fields = row.schema().fields();
        Map<String, Object> map = new LinkedHashMap<>(fields.size() * 2);
        for (Field field : fields) {
            map.put(field.name(), toJsonValue(field.schema(), row.get(field), maxLength));
        }
        return map;
    }

    /** A value cut to {@code maxLength}: its first characters, then a marker with the original length. */
    static String truncated(String value, int maxLength, long originalLength) {
        return value.substring(0, Math.min(value.length(), maxLength)) + TRUNCATED_MARK + originalLength + ")";
    }

    /** Follows a value cut to the length limit, before its original length and a closing parenthesis. */
    public static final String TRUNCATED_MARK = "...(truncated, length ";

    static Object toJsonValue(Schema schema, Object value) {
        return toJsonValue(schema, value, Integer.MAX_VALUE);
    }

    static Object toJsonValue(Schema schema, Object value, int maxLength) {
        if (value == null) {
            return null;
        }
        String logical = schema.name();
        if (logical != null) {
            switch (logical) {
                case Decimal.LOGICAL_NAME:
                    return ((BigDecimal) value).toPlainString();
                case "io.debezium.data.VariableScaleDecimal":
                    return value instanceof Struct s ? variableScaleDecimal(s) : value.toString();
                case "io.debezium.time.Date":
                    return LocalDate.ofEpochDay(((Number) value).longValue()).toString();
                case "io.debezium.time.Timestamp":
                    return Instant.ofEpochMilli(((Number) value).longValue()).atOffset(ZoneOffset.UTC).toLocalDateTime().toString();
                case "io.debezium.time.MicroTimestamp":
                    return microsToLocalDateTime(((Number) value).longValue());
                case "io.debezium.time.NanoTimestamp":
                    long nanos = ((Number) value).longValue();
                    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L))
                            .atOffset(ZoneOffset.UTC).toLocalDateTime().toString();
                case "io.debezium.time.Time":
                    return LocalTime.ofNanoOfDay(((Number) value).longValue() * 1_000_000L).toString();
                case "io.debezium.time.MicroTime":
                    return microTime(((Number) value).longValue());
                case "io.debezium.time.NanoTime":
                    return LocalTime.ofNanoOfDay(((Number) value).longValue()).toString();
                case "org.apache.kafka.connect.data.Date":
                case "org.apache.kafka.connect.data.Timestamp":
                case "org.apache.kafka.connect.data.Time":
                    return ((java.util.Date) value).toInstant().toString();
                default:
                    // ZonedTimestamp, ZonedTime, Json, Enum, Year... are already strings or numbers
                    break;
            }
        }
        return switch (schema.type()) {
            case BYTES -> {
                byte[] bytes = bytes(value);
                yield bytes.length <= maxLength ? Base64.getEncoder().encodeToString(bytes)
                        : truncated(Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(bytes, maxLength)),
                                Integer.MAX_VALUE, bytes.length);
            }
            case STRING -> value instanceof String text && text.length() > maxLength
                    ? truncated(text, maxLength, text.length()) : value;
            case STRUCT -> toMap((Struct) value, maxLength);
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (Object item : (List<?>) value) {
                    list.add(toJsonValue(schema.valueSchema(), item, maxLength));
                }
                yield list;
            }
            case MAP -> {
                Map<String, Object> map = new LinkedHashMap<>();
                ((Map<?, ?>) value).forEach((k, v) -> map.put(String.valueOf(k),
                        toJsonValue(schema.valueSchema(), v, maxLength)));
                yield map;
            }
            case FLOAT32, FLOAT64 -> {
                double d = ((Number) value).doubleValue();
                yield Double.isFinite(d) ? value : String.valueOf(d);
            }
            default -> value;
        };
    }

    private static String variableScaleDecimal(Struct s) {
        int scale = s.getInt32("scale");
        byte[] unscaled = bytes(s.get("value"));
        return new BigDecimal(new java.math.BigInteger(unscaled), scale).toPlainString();
    }

    private static String microsToLocalDateTime(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L)
                .atOffset(ZoneOffset.UTC).toLocalDateTime().toString();
    }

    private static String microTime(long micros) {
        // MySQL TIME ranges beyond one day (-838:59:59 .. 838:59:59); keep those as a duration-like string
        if (micros >= 0 && micros < 86_400_000_000L) {
            return LocalTime.ofNanoOfDay(micros * 1_000L).toString();
        }
        return java.time.Duration.ofNanos(micros * 1_000L).toString();
    }

    private static byte[] bytes(Object value) {
        if (value instanceof byte[] b) {
            return b;
        }
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] b = new byte[buffer.remaining()];
        buffer.get(b);
        return b;
    }
}
