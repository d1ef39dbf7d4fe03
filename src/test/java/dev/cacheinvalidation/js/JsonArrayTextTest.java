package dev.cacheinvalidation.js;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonArrayTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anEmptyArrayHasNoElements() {
        assertThat(JsonArrayText.elements("[]")).isEmpty();
    }

    @Test
    void elementsAreCutAtTheTopLevelCommasOnly() {
        assertThat(JsonArrayText.elements("[{\"a\":[1,2],\"b\":{\"c\":3}},{\"d\":null},7,\"x,y\"]"))
                .containsExactly("{\"a\":[1,2],\"b\":{\"c\":3}}", "{\"d\":null}", "7", "\"x,y\"");
    }

    @Test
    void bracketsCommasAndQuotesInsideStringsDoNotCount() throws Exception {
        List<Object> events = List.of(
                java.util.Map.of("table", "app.users", "key", "user:{1},[2]\",\\"),
                java.util.Map.of("table", "a\\\"],{", "tags", List.of("x\\", "\"", "\n")));
        List<String> texts = JsonArrayText.elements(JSON.writeValueAsString(events));
        assertThat(texts).hasSize(2);
        assertThat(JSON.readValue(texts.get(0), Object.class)).isEqualTo(events.get(0));
        assertThat(JSON.readValue(texts.get(1), Object.class)).isEqualTo(events.get(1));
    }

    @Test
    void notAnArrayOrUnbalancedIsAnError() {
        assertThatThrownBy(() -> JsonArrayText.elements("{\"a\":1}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a JSON array");
        assertThatThrownBy(() -> JsonArrayText.elements("[{\"a\":\"]}]")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unbalanced");
    }
}
