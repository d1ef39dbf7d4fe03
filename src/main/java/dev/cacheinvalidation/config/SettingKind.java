package dev.cacheinvalidation.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * What a setting may hold. {@link #problem} says what is allowed when a value is not (null when it is); the
 * sentence never repeats the value, which {@link SettingsCheck} shows, without a password.
 */
@FunctionalInterface
public interface SettingKind {

    /** Null when {@code value} is allowed, else what is allowed. */
    String problem(String value);

    Pattern NAME = Pattern.compile("[A-Za-z0-9_$-]+");
    Pattern TABLE = Pattern.compile("[A-Za-z0-9_$]+\\.[A-Za-z0-9_$]+");
    Pattern CONNECTOR_NAME = Pattern.compile("[A-Za-z0-9_.-]+");
    Pattern CLASS_NAME = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)+");

    /** A whole number from {@code min} to {@code max}. */
    static SettingKind wholeNumber(long min, long max) {
        String allowed = max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                ? "a whole number of " + min + " or more" : "a whole number from " + min + " to " + max;
        return value -> {
            try {
                long number = Long.parseLong(value.trim());
                return number >= min && number <= max ? null : allowed;
            } catch (NumberFormatException e) {
                return allowed;
            }
        };
    }

    /** A whole number from {@code min} that fits an int. */
    static SettingKind count(int min) {
        return wholeNumber(min, Integer.MAX_VALUE);
    }

    /** Milliseconds, a whole number from {@code min}; {@code 0} where {@code min} is 0 means off. */
    static SettingKind durationMs(long min) {
        SettingKind number = wholeNumber(min, Long.MAX_VALUE);
        return value -> number.problem(value) == null ? null
                : "a duration in milliseconds, a whole number of " + min + " or more" + (min == 0 ? " (0: off)" : "");
    }

    /** Bytes, a whole number from {@code min}. */
    static SettingKind bytes(long min) {
        SettingKind number = wholeNumber(min, Long.MAX_VALUE);
        return value -> number.problem(value) == null ? null
                : "a size in bytes, a whole number of " + min + " or more (4194304 for 4 MB)";
    }

    /** One of {@code words}. */
    static SettingKind oneOf(String... words) {
        Set<String> allowed = Set.of(words);
        return value -> allowed.contains(value.trim()) ? null : "one of " + String.join(", ", words);
    }

    /** Text that is not empty. */
    static SettingKind text() {
        return value -> value.isBlank() ? "a text that is not empty" : null;
    }

    /** Anything, empty too (a name or a list that Debezium or a component reads as it is). */
    static SettingKind any() {
        return value -> null;
    }

    /** {@code metadata.name}'s and Debezium's connector name. */
    static SettingKind connectorName() {
        return value -> CONNECTOR_NAME.matcher(value.trim()).matches() ? null
                : "a name of letters, digits, '.', '_' and '-'";
    }

    /** A comma separated list of at least one item, each matching {@code item}; {@code what} describes one. */
    static SettingKind list(Pattern item, String what) {
        return value -> {
            List<String> items = Arrays.stream(value.split(",")).map(String::trim).toList();
            return !value.isBlank() && items.stream().allMatch(i -> item.matcher(i).matches()) ? null
                    : "a comma separated list of " + what;
        };
    }

    /** The same, or empty. */
    static SettingKind listOrEmpty(Pattern item, String what) {
        SettingKind list = list(item, what);
        return value -> value.isBlank() ? null : list.problem(value) == null ? null
                : "empty, or a comma separated list of " + what;
    }

    /** One of {@code words}, or a Java class name. */
    static SettingKind wordOrClass(String... words) {
        Set<String> allowed = Set.of(words);
        return value -> allowed.contains(value.trim()) || CLASS_NAME.matcher(value.trim()).matches() ? null
                : String.join(", ", words) + " or a class name";
    }

    /** Files that exist, comma separated. */
    static SettingKind existingFiles() {
        return value -> {
            if (value.isBlank()) {
                return "one file or several, comma separated";
            }
            for (String file : value.split(",")) {
                if (!Files.isRegularFile(Path.of(file.trim()))) {
                    return "files that exist, comma separated (" + file.trim() + " is not found in "
                            + Path.of("").toAbsolutePath() + ")";
                }
            }
            return null;
        };
    }

    /** A value {@code parse} accepts: it throws {@link ConfigurationException} saying what is wrong otherwise. */
    static SettingKind parsedBy(Consumer<String> parse) {
        return value -> {
            try {
                parse.accept(value);
                return null;
            } catch (ConfigurationException e) {
                return e.getMessage();
            }
        };
    }

    /** The same, where an empty value is allowed (another check says when it is needed). */
    static SettingKind emptyOrParsedBy(Consumer<String> parse) {
        SettingKind parsed = parsedBy(parse);
        return value -> value.isBlank() ? null : parsed.problem(value);
    }
}
