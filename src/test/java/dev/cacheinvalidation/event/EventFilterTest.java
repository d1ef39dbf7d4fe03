package dev.cacheinvalidation.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.config.ConfigurationException;
import org.junit.jupiter.api.Test;

class EventFilterTest {

    private static ChangeEvent event(String op, String table, Map<String, Object> before, Map<String, Object> after) {
        return new ChangeEvent(op, table, before, after, new ArrayList<>(), null, null);
    }

    private static Map<String, Object> row(Object... pairs) {
        Map<String, Object> row = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            row.put((String) pairs[i], pairs[i + 1]);
        }
        return row;
    }

    @Test
    void noSettingKeepsEverything() {
        EventFilter filter = new EventFilter();
        filter.setOps("");
        filter.setFields("");
        assertThat(filter.keepsAll()).isTrue();
    }

    @Test
    void operationsAndTablesByPattern() {
        EventFilter filter = new EventFilter();
        filter.setOps("create,update,truncate");
        filter.setTablesInclude("app.*");
        filter.setTablesExclude("*.audit_log");
        assertThat(filter.keeps(event("c", "app.users", null, row("id", 1)))).isTrue();
        assertThat(filter.keeps(event("d", "app.users", row("id", 1), null))).isFalse();
        assertThat(filter.keeps(event("u", "other.users", row("id", 1), row("id", 1)))).isFalse();
        assertThat(filter.keeps(event("u", "app.audit_log", row("id", 1), row("id", 1)))).isFalse();
        assertThat(filter.keeps(event("t", "app.users", null, null))).isTrue();
    }

    @Test
    void anUpdatePassesWhenTheConditionsHoldBeforeOrAfterAndADeleteByItsRow() {
        EventFilter filter = new EventFilter();
        filter.setFields("[{\"path\":\"status\",\"op\":\"eq\",\"value\":\"active\"}]");
        // a row leaving the selected set still had a cached value
        assertThat(filter.keeps(event("u", "app.orders", row("status", "active"), row("status", "closed")))).isTrue();
        assertThat(filter.keeps(event("u", "app.orders", row("status", "new"), row("status", "active")))).isTrue();
        assertThat(filter.keeps(event("u", "app.orders", row("status", "new"), row("status", "closed")))).isFalse();
        assertThat(filter.keeps(event("d", "app.orders", row("status", "active"), null))).isTrue();
        assertThat(filter.keeps(event("c", "app.orders", null, row("status", "new")))).isFalse();
        // a whole table's change concerns every row the conditions select
        assertThat(filter.keeps(event("t", "app.orders", null, null))).isTrue();
    }

    @Test
    void everyFieldOperator() {
        Map<String, Object> after = row("total", "100.50", "qty", 3, "name", "Alice", "tags", List.of("a", "b"),
                "address", row("city", "Berlin"), "gone", null);
        ChangeEvent insert = event("c", "app.t", null, after);
        assertThat(holds("total", "gte", "100")).satisfies(f -> assertThat(f.keeps(insert)).isTrue());
        assertThat(holds("total", "gt", "100.5").keeps(insert)).isFalse();
        assertThat(holds("qty", "lt", "4").keeps(insert)).isTrue();
        assertThat(holds("qty", "lte", "2").keeps(insert)).isFalse();
        assertThat(holds("qty", "eq", "3").keeps(insert)).isTrue();
        assertThat(holds("name", "ne", "\"Bob\"").keeps(insert)).isTrue();
        assertThat(holds("name", "in", "[\"Alice\",\"Bob\"]").keeps(insert)).isTrue();
        assertThat(holds("name", "not_in", "[\"Alice\"]").keeps(insert)).isFalse();
        assertThat(holds("name", "contains", "\"lic\"").keeps(insert)).isTrue();
        assertThat(holds("tags", "contains", "\"b\"").keeps(insert)).isTrue();
        assertThat(holds("name", "regex", "\"^A.*e$\"").keeps(insert)).isTrue();
        assertThat(holds("address.city", "eq", "\"Berlin\"").keeps(insert)).isTrue();
        assertThat(holds("gone", "exists", null).keeps(insert)).isFalse();
        assertThat(holds("gone", "not_exists", null).keeps(insert)).isTrue();
        assertThat(holds("name", "changed", null).keeps(insert)).as("an insert passes changed").isTrue();
        assertThat(holds("name", "changed", null).keeps(event("u", "app.t", row("name", "A"), row("name", "A")))).isFalse();
        assertThat(holds("name", "changed", null).keeps(event("u", "app.t", row("name", "A"), row("name", "B")))).isTrue();
    }

    @Test
    void allOrAny() {
        EventFilter filter = new EventFilter();
        filter.setFields("[{\"path\":\"a\",\"op\":\"eq\",\"value\":1},{\"path\":\"b\",\"op\":\"eq\",\"value\":1}]");
        ChangeEvent onlyA = event("c", "app.t", null, row("a", 1, "b", 2));
        assertThat(filter.keeps(onlyA)).isFalse();
        filter.setMatch("any");
        assertThat(filter.keeps(onlyA)).isTrue();
    }

    @Test
    void wrongSettingsAreRefusedClearly() {
        EventFilter filter = new EventFilter();
        assertThatThrownBy(() -> filter.setOps("create,upsert")).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("unknown operation 'upsert'");
        assertThatThrownBy(() -> filter.setFields("{")).hasMessageContaining("filter.fields is not JSON");
        assertThatThrownBy(() -> filter.setFields("[{\"path\":\"a\",\"op\":\"in\",\"value\":1}]"))
                .hasMessageContaining("needs an array value");
        assertThatThrownBy(() -> filter.setFields("[{\"path\":\"a\",\"op\":\"regex\",\"value\":\"(\"}]"))
                .hasMessageContaining("the regex for a is invalid");
        assertThatThrownBy(() -> filter.setMatch("some")).hasMessageContaining("filter.match must be all or any");
    }

    private static EventFilter holds(String path, String op, String valueJson) {
        EventFilter filter = new EventFilter();
        filter.setFields("[{\"path\":\"" + path + "\",\"op\":\"" + op + "\"" + (valueJson == null ? "" : ",\"value\":"
                + valueJson) + "}]");
        return filter;
    }
}
