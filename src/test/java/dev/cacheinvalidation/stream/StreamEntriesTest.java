package dev.cacheinvalidation.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class StreamEntriesTest {

    private static byte[] b(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Object> entry(String id, String... namesAndValues) {
        return Arrays.asList(b(id), Arrays.stream(namesAndValues).map(StreamEntriesTest::b).map(Object.class::cast).toList());
    }

    @Test
    void anXreadgroupReplyBecomesMessagesWithIdsAndFieldsInStreamOrder() {
        Object reply = List.of(List.of(b("cache:invalidations"), List.of(
                entry("1764240000000-0", "event", "{\"a\":1}", "origin", "pipeline"),
                entry("1764240000000-1", "event", "{\"b\":\"é\"}"))));

        List<StreamMessage> messages = StreamEntries.READ_ONE_STREAM.build(reply);

        assertThat(messages).extracting(StreamMessage::id).containsExactly("1764240000000-0", "1764240000000-1");
        assertThat(messages.get(0).fields()).containsExactly(Map.entry("event", "{\"a\":1}"), Map.entry("origin", "pipeline"));
        assertThat(messages.get(1).value("event")).isEqualTo("{\"b\":\"é\"}");
        assertThat(messages.get(1).bytes("event")).isEqualTo(b("{\"b\":\"é\"}"));
    }

    @Test
    void nothingToReadIsAnEmptyList() {
        assertThat(StreamEntries.READ_ONE_STREAM.build(null)).isEmpty();
        assertThat(StreamEntries.READ_ONE_STREAM.build(List.of())).isEmpty();
    }

    @Test
    void aPendingEntryTrimmedFromTheStreamComesWithoutFields() {
        List<StreamMessage> messages = StreamEntries.entries(List.of(Arrays.asList(b("5-0"), null), entry("6-0", "event", "{}")));

        assertThat(messages).extracting(StreamMessage::id).containsExactly("5-0", "6-0");
        assertThat(messages.get(0).hasFields()).isFalse();
        assertThat(messages.get(0).fields()).isEmpty();
        assertThat(messages.get(0).bytes("event")).isNull();
        assertThat(messages.get(1).hasFields()).isTrue();
    }

    @Test
    void anEntryWithoutTheNamedFieldGivesItsFirstField() {
        StreamMessage message = StreamMessage.of("1-0", Map.of("payload", "{\"x\":1}"));

        assertThat(message.value("event")).isEqualTo("{\"x\":1}");
    }

    @Test
    void aReplyOfAnotherShapeIsAClearError() {
        assertThatThrownBy(() -> StreamEntries.READ_ONE_STREAM.build(42L)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unexpected XREADGROUP reply from Redis");
    }
}
