package dev.cacheinvalidation.event;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.config.ConfigurationException;

/**
 * Which row changes reach the script, without code (DeltaForge's {@code filter} processor): by operation, by table
 * ({@code include} and {@code exclude} patterns, {@code *} for any characters) and by field conditions on the row,
 * combined by {@code all} or {@code any}. A change filtered out is passed over before the script, so it costs no
 * script call, and is never invalidated: that is what the filter is for.
 * <p>
 * Unlike DeltaForge, which looks at {@code after} only, an update passes when the conditions hold for the row
 * before <em>or</em> after it (a row leaving the filtered set still had a cached value), and a delete is judged by
 * the row it removed: a change to a row the conditions select is never missed.
 */
public class EventFilter {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> OPS = Map.of("create", "c", "update", "u", "delete", "d", "read", "r",
            "truncate", ChangeEvent.TABLE_CHANGE);
    private static final Set<String> FIELD_OPS = Set.of("eq", "ne", "exists", "not_exists", "gt", "gte", "lt", "lte",
            "in", "not_in", "contains", "changed", "regex");

    /** One condition on a field of the row: {@code path} is dot-separated. */
    record Condition(String path, String op, JsonNode value, Pattern regex) {
    }

    private final Set<String> ops = new HashSet<>();
    private final List<Pattern> include = new ArrayList<>();
    private final List<Pattern> exclude = new ArrayList<>();
    private final List<Condition> conditions = new ArrayList<>();
    private boolean any;

    /** True when the filter keeps everything (no setting given). */
    public boolean keepsAll() {
        return ops.isEmpty() && include.isEmpty() && exclude.isEmpty() && conditions.isEmpty();
    }

    public boolean keeps(ChangeEvent event) {
        if (!ops.isEmpty() && !ops.contains(event.op())) {
            return false;
        }
        if (!include.isEmpty() && include.stream().noneMatch(p -> p.matcher(event.table()).matches())) {
            return false;
        }
        if (exclude.stream().anyMatch(p -> p.matcher(event.table()).matches())) {
            return false;
        }
        if (conditions.isEmpty() || ChangeEvent.TABLE_CHANGE.equals(event.op())) {
            // a whole table's change has no row to look at: it concerns every row the conditions could select
            return true;
        }
        if (event.after() == null) {
            return holds(event.before(), event);
        }
        return holds(event.after(), event) || event.before() != null && holds(event.before(), event);
    }

    private boolean holds(Map<String, Object> row, ChangeEvent event) {
        for (Condition condition : conditions) {
            boolean holds = holds(condition, row, event);
            if (any && holds) {
                return true;
            }
            if (!any && !holds) {
                return false;
            }
        }
        return !any;
    }

    private static boolean holds(Condition condition, Map<String, Object> row, ChangeEvent event) {
        Object value = valueAt(row, condition.path());
        JsonNode wanted = condition.value();
        return switch (condition.op()) {
            case "exists" -> value != null;
            case "not_exists" -> value == null;
            case "eq" -> value != null && same(value, wanted);
            case "ne" -> value == null || !same(value, wanted);
            case "gt" -> compare(value, wanted) > 0;
            case "gte" -> compare(value, wanted) >= 0;
            case "lt" -> compare(value, wanted) < 0 && value != null;
            case "lte" -> compare(value, wanted) <= 0 && value != null;
            case "in" -> value != null && contains(wanted, value);
            case "not_in" -> value == null || !contains(wanted, value);
            case "contains" -> value instanceof List<?> list ? list.stream().anyMatch(item -> same(item, wanted))
                    : value != null && value.toString().contains(wanted.asText());
            case "changed" -> event.before() == null || event.after() == null
                    || !Objects.equals(valueAt(event.before(), condition.path()), valueAt(event.after(), condition.path()));
            case "regex" -> value != null && condition.regex().matcher(value.toString()).find();
            default -> throw new IllegalStateException(condition.op());
        };
    }

    @SuppressWarnings("unchecked")
    private static Object valueAt(Map<String, Object> row, String path) {
        Object at = row;
        for (String part : path.split("\\.")) {
            if (!(at instanceof Map<?, ?> map)) {
                return null;
            }
            at = ((Map<String, Object>) map).get(part);
        }
        return at;
    }

    private static boolean same(Object value, JsonNode wanted) {
        if (wanted == null || wanted.isNull()) {
            return value == null;
        }
        if (wanted.isNumber() || value instanceof Number) {
            BigDecimal a = number(value);
            BigDecimal b = number(wanted.asText());
            return a != null && b != null && a.compareTo(b) == 0;
        }
        if (wanted.isBoolean()) {
            return value instanceof Boolean b ? b == wanted.asBoolean() : wanted.asText().equals(String.valueOf(value));
        }
        return wanted.asText().equals(String.valueOf(value));
    }

    /** Numbers (DECIMAL comes as a string) by value, anything else as text; a missing field is below everything. */
    private static int compare(Object value, JsonNode wanted) {
        if (value == null) {
            return -1;
        }
        BigDecimal a = number(value);
        BigDecimal b = number(wanted.asText());
        if (a != null && b != null) {
            return a.compareTo(b);
        }
        return String.valueOf(value).compareTo(wanted.asText());
    }

    private static BigDecimal number(Object value) {
        try {
            return value == null ? null : new BigDecimal(value.toString());
        } catch (NumberFormatException notANumber) {
            return null;
        }
    }

    private static boolean contains(JsonNode array, Object value) {
        for (JsonNode item : array) {
            if (same(value, item)) {
                return true;
            }
        }
        return false;
    }

    /** Operations to keep, comma separated: create, update, delete, read, truncate (empty: all). */
    public void setOps(String names) {
        ops.clear();
        for (String name : split(names)) {
            String op = OPS.get(name.toLowerCase(Locale.ROOT));
            if (op == null) {
                throw new ConfigurationException("filter.ops: unknown operation '" + name + "' (create, update, delete,"
                        + " read, truncate)");
            }
            ops.add(op);
        }
    }

    /** Tables to keep ({@code db.table}, {@code *} for any characters), comma separated (empty: all). */
    public void setTablesInclude(String patterns) {
        include.clear();
        split(patterns).forEach(p -> include.add(glob(p)));
    }

    /** Tables to drop, comma separated. */
    public void setTablesExclude(String patterns) {
        exclude.clear();
        split(patterns).forEach(p -> exclude.add(glob(p)));
    }

    /** The field conditions, a JSON array of {@code {"path": ..., "op": ..., "value": ...}} (empty: none). */
    public void setFields(String json) {
        conditions.clear();
        if (json == null || json.isBlank()) {
            return;
        }
        JsonNode array;
        try {
            array = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigurationException("filter.fields is not JSON: " + e.getOriginalMessage());
        }
        if (!array.isArray()) {
            throw new ConfigurationException("filter.fields must be a JSON array of {\"path\", \"op\", \"value\"}");
        }
        for (JsonNode item : array) {
            conditions.add(condition(item));
        }
    }

    /** Checks one condition as {@code filter.fields} would take it: a clear error for a wrong one. */
    public static void checkCondition(JsonNode item) {
        condition(item);
    }

    static Condition condition(JsonNode item) {
        String path = item.path("path").asText("");
        String op = item.path("op").asText("");
        JsonNode value = item.get("value");
        if (path.isBlank()) {
            throw new ConfigurationException("filter.fields: a condition without a path: " + item);
        }
        if (!FIELD_OPS.contains(op)) {
            throw new ConfigurationException("filter.fields: unknown op '" + op + "' for " + path + " (one of "
                    + String.join(", ", FIELD_OPS.stream().sorted().toList()) + ")");
        }
        boolean needsValue = !Set.of("exists", "not_exists", "changed").contains(op);
        if (needsValue && value == null) {
            throw new ConfigurationException("filter.fields: op " + op + " for " + path + " needs a value");
        }
        if (Set.of("in", "not_in").contains(op) && !value.isArray()) {
            throw new ConfigurationException("filter.fields: op " + op + " for " + path + " needs an array value");
        }
        Pattern regex = null;
        if ("regex".equals(op)) {
            try {
                regex = Pattern.compile(value.asText());
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new ConfigurationException("filter.fields: the regex for " + path + " is invalid: "
                        + e.getDescription());
            }
        }
        return new Condition(path, op, value, regex);
    }

    /** How the field conditions combine: all (default) or any. */
    public void setMatch(String match) {
        String mode = match == null || match.isBlank() ? "all" : match.trim().toLowerCase(Locale.ROOT);
        if (!mode.equals("all") && !mode.equals("any")) {
            throw new ConfigurationException("filter.match must be all or any, was '" + match + "'");
        }
        any = mode.equals("any");
    }

    private static List<String> split(String csv) {
        List<String> parts = new ArrayList<>();
        if (csv != null) {
            for (String part : csv.split(",")) {
                if (!part.isBlank()) {
                    parts.add(part.trim());
                }
            }
        }
        return parts;
    }

    private static Pattern glob(String pattern) {
        StringBuilder regex = new StringBuilder();
        for (String part : pattern.split("\\*", -1)) {
            if (!regex.isEmpty()) {
                regex.append(".*");
            }
            regex.append(Pattern.quote(part));
        }
        return Pattern.compile(regex.toString());
    }
}
