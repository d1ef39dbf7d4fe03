package dev.cacheinvalidation.worker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CacheKeysTest {

    @Test
    void readsKeysFromAfter() {
        CacheKeys keys = CacheKeys.fromEventJson("""
                {"op":"u","table":"shop.users",
                 "before":{"id":1,"email":"old@example.com"},
                 "after":{"id":1,"email":"new@example.com","_cache_keys":["user:1","user:email:new@example.com"]}}
                """);

        assertThat(keys.table()).isEqualTo("shop.users");
        assertThat(keys.keys()).containsExactly("user:1", "user:email:new@example.com");
    }

    @Test
    void readsKeysFromTheUtf8BytesOfTheEntryWithEscapesAndLettersBeyondAscii() {
        byte[] event = "{\"table\":\"shop.café\",\"after\":{\"name\":\"Zoë \\\"Z\\\"\",\"_cache_keys\":[\"user:zoë\",\"tab\\tkey\",\"emoji:\uD83D\uDE00\"]}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);

        CacheKeys keys = CacheKeys.fromEventJson(event);

        assertThat(keys.table()).isEqualTo("shop.café");
        assertThat(keys.keys()).containsExactly("user:zoë", "tab\tkey", "emoji:\uD83D\uDE00");
    }

    @Test
    void aKeyThatIsNotValidUtf8IsRejectedRatherThanDeletedUnderAnotherName() {
        byte[] event = "{\"after\":{\"_cache_keys\":[\"user:XX\"]}}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = new String(event, java.nio.charset.StandardCharsets.US_ASCII).indexOf("XX");
        event[at] = (byte) 0xC3;
        event[at + 1] = (byte) 0x28;

        assertThatThrownBy(() -> CacheKeys.fromEventJson(event)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JSON");
    }

    @Test
    void theCommitTimeIsTheSourcesMicrosecondsWhereTheEventHasThem() {
        // MySQL 8 with GTIDs: ts_us has the commit's microseconds, ts_ms only its milliseconds
        CacheKeys keys = CacheKeys.fromEventJson("""
                {"table":"shop.users","after":{"_cache_keys":["user:1"]},
                 "source":{"file":"mysql-bin.000003","ts_ms":1710505445123,"ts_us":1710505445123456}}
                """);

        assertThat(keys.committedMicros()).isEqualTo(1_710_505_445_123_456L);
    }

    @Test
    void anEventWithOnlyMillisecondsHasTheirCommitTime() {
        CacheKeys keys = CacheKeys.fromEventJson("""
                {"table":"shop.users","after":{"_cache_keys":["user:1"]},"source":{"ts_ms":1710505445000}}
                """);

        assertThat(keys.committedMicros()).isEqualTo(1_710_505_445_000_000L);
    }

    @Test
    void anEventWithoutSourceHasNoCommitTime() {
        assertThat(CacheKeys.fromEventJson("{\"after\":{\"_cache_keys\":[\"user:1\"]}}").committedMicros()).isNull();
    }

    @Test
    void deleteReadsKeysFromBefore() {
        CacheKeys keys = CacheKeys.fromEventJson("""
                {"op":"d","table":"shop.products","before":{"id":7,"_cache_keys":["product:7","product:7:details"]},
                 "after":null}
                """);

        assertThat(keys.keys()).containsExactly("product:7", "product:7:details");
    }

    @Test
    void missingAfterFieldAlsoFallsBackToBefore() {
        CacheKeys keys = CacheKeys.fromEventJson("""
                {"op":"d","table":"shop.products","before":{"id":7,"_cache_keys":["product:7"]}}
                """);

        assertThat(keys.keys()).containsExactly("product:7");
    }

    @Test
    void afterWithoutKeysDoesNotBorrowTheKeysOfBefore() {
        CacheKeys keys = CacheKeys.fromEventJson("""
                {"op":"u","table":"shop.users","before":{"id":1,"_cache_keys":["user:1"]},"after":{"id":1}}
                """);

        assertThat(keys.keys()).isEmpty();
    }

    @Test
    void eventWithoutRecordHasNoKeys() {
        CacheKeys keys = CacheKeys.fromEventJson("{\"op\":\"d\",\"table\":\"shop.users\",\"before\":null,\"after\":null}");

        assertThat(keys.keys()).isEmpty();
        assertThat(keys.table()).isEqualTo("shop.users");
    }

    @Test
    void recordWithoutKeysHasNoKeys() {
        assertThat(CacheKeys.fromEventJson("{\"op\":\"c\",\"table\":\"shop.t\",\"after\":{\"id\":1}}").keys()).isEmpty();
        assertThat(CacheKeys.fromEventJson("{\"op\":\"c\",\"table\":\"shop.t\",\"after\":{\"_cache_keys\":null}}").keys())
                .isEmpty();
    }

    @Test
    void eventWithoutTableStillGivesItsKeys() {
        CacheKeys keys = CacheKeys.fromEventJson("{\"after\":{\"_cache_keys\":[\"k\"]}}");

        assertThat(keys.keys()).containsExactly("k");
        assertThat(keys.table()).isNotBlank();
    }

    @Test
    void missingEventIsRejected() {
        assertThatThrownBy(() -> CacheKeys.fromEventJson((byte[]) null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no event");
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"after\":", "{'single':'quotes'}"})
    void nonJsonIsRejected(String json) {
        assertThatThrownBy(() -> CacheKeys.fromEventJson(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[1,2]", "\"user:1\"", "42", "null"})
    void jsonThatIsNotAnObjectIsRejected(String json) {
        assertThatThrownBy(() -> CacheKeys.fromEventJson(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a JSON object");
    }

    @Test
    void recordThatIsNotAnObjectIsRejected() {
        assertThatThrownBy(() -> CacheKeys.fromEventJson("{\"after\":[\"user:1\"]}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an object");
    }

    @Test
    void keysThatAreNotAnArrayAreRejected() {
        assertThatThrownBy(() -> CacheKeys.fromEventJson("{\"after\":{\"_cache_keys\":\"user:1\"}}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("_cache_keys is not an array");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[\"user:1\", 2]", "[\"user:1\", null]", "[{\"key\":\"user:1\"}]", "[\"\"]"})
    void keysThatAreNotNonEmptyStringsAreRejected(String keys) {
        assertThatThrownBy(() -> CacheKeys.fromEventJson("{\"after\":{\"_cache_keys\":" + keys + "}}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("_cache_keys")
                .hasMessageContaining("not a non-empty string");
    }

    @Test
    void keyWithAStarIsAPattern() {
        assertThat(CacheKeys.isPattern("user:*:orders")).isTrue();
        assertThat(CacheKeys.isPattern("product:*")).isTrue();
    }

    @Test
    void plainKeyIsNotAPattern() {
        assertThat(CacheKeys.isPattern("user:1:orders")).isFalse();
        assertThat(CacheKeys.isPattern("user:email:a?b@example.com")).isFalse();
    }
}
