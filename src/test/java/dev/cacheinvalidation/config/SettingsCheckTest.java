package dev.cacheinvalidation.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cacheinvalidation.Application;
import dev.cacheinvalidation.Application.Role;
import org.apache.camel.main.Main;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one check of the settings: a test per kind of bad value, and application.properties' own values pass. */
class SettingsCheckTest {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{(?:envOrFile:[A-Z_]+:)?([^}]*)}}");

    /** application.properties as the check sees it with an empty environment: placeholders resolved. */
    private static Map<String, String> defaults() throws IOException {
        Properties file = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of("application.properties"))) {
            file.load(in);
        }
        Map<String, String> resolved = new HashMap<>();
        file.stringPropertyNames().forEach(key -> resolved.put(key, file.getProperty(key)));
        for (int pass = 0; pass < 3; pass++) {
            resolved.replaceAll((key, value) -> {
                Matcher placeholder = PLACEHOLDER.matcher(value);
                return placeholder.replaceAll(match -> Matcher.quoteReplacement(
                        resolved.getOrDefault(match.group(1), match.group(1))));
            });
        }
        return resolved;
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> checking(String key, String value)
            throws IOException {
        Map<String, String> settings = defaults();
        settings.put(key, value);
        return assertThatThrownBy(() -> SettingsCheck.check(k -> Optional.ofNullable(settings.get(k))))
                .isInstanceOf(ConfigurationException.class).hasMessageStartingWith(key + " = ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theDefaultsPass() throws IOException {
        Map<String, String> settings = defaults();
        assertThatCode(() -> SettingsCheck.check(k -> Optional.ofNullable(settings.get(k)))).doesNotThrowAnyException();
    }

    @Test
    void everySettingOfOursHasAKind() throws IOException {
        defaults().keySet().stream().filter(key -> !key.startsWith("camel."))
                .forEach(key -> assertThat(SettingsCheck.kinds()).as(key).containsKey(key));
    }

    @Test
    void oneLineWithTheKeyTheValueAndWhatIsAllowed() throws IOException {
        checking("script.contexts", "0").hasMessage("script.contexts = 0 is not allowed: a whole number of 1 or more");
        checking("script.onFailure", "retry").hasMessage("script.onFailure = retry is not allowed: one of dead-letter,"
                + " fail");
    }

    /** A bad value of each kind: whole numbers, durations, sizes, words, names, lists of tables and operations. */
    @ParameterizedTest(name = "{0} = ''{1}''")
    @CsvSource(delimiter = '|', value = {
            "cdc.serverId          | 4294967296       | from 1 to 4294967295",
            "camel.management.port | 80800            | from 0 to 65535",
            "worker.consumers      | two              | a whole number of 1 or more",
            "batch.maxMs           | 100ms            | a duration in milliseconds",
            "script.reloadCheckMs  | -1               | 0 or more (0: off)",
            "batch.maxBytes        | 4MB              | a size in bytes",
            "filter.match          | most             | one of all, any",
            "cdc.offsetStore       | s3 bucket        | file, redis or a class name",
            "cdc.tables            | app.users,orders | tables as db.table",
            "cdc.tables            | ''               | tables as db.table",
            "filter.ops            | create,upsert    | create, update, delete, read, truncate",
            "cdc.name              | my pipeline      | letters, digits",
            "stream.key            | ' '              | not empty" })
    void aBadValueOfEachKind(String key, String value, String allowed) throws IOException {
        checking(key, value).hasMessageContaining(allowed);
    }

    @Test
    void aUriOrDsnIsShownWithoutItsPassword() throws IOException {
        checking("redis.uri", "http://:redis-Secret-7@cache:6379").hasMessageContaining("redis.uri")
                .hasMessageContaining("***").satisfies(e -> assertThat(e.getMessage()).doesNotContain("redis-Secret-7"));
        checking("cdc.dsn", "mysql://cdc:pw-Secret-42@db:port/app").hasMessageContaining("cdc:***@db")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw-Secret-42"));
        checking("filter.fields", "[{\"op\": \"eq\"}]").hasMessageContaining("without a path");
    }

    @Test
    void aFileThatIsNotThere() throws IOException {
        checking("script.file", "routes/cache-keys.js,routes/none.js").hasMessageContaining("routes/none.js is not"
                + " found");
    }

    @Test
    void aKeyTheProcessDoesNotUseIsNotChecked() throws IOException {
        Map<String, String> settings = defaults();
        settings.put("script.file", "routes/none.js");
        assertThatCode(() -> SettingsCheck.check(k -> Optional.ofNullable(settings.get(k)), Set.of("script.file")))
                .doesNotThrowAnyException();
    }

    @Test
    void settingsThatContradictEachOther() throws IOException {
        checking("worker.redeleteAfterMs", "60000").hasMessageContaining("below worker.claimIdleMs (60000)");
        Map<String, String> settings = defaults();
        settings.put("worker.redeleteAfterMs", "1000");
        settings.put("worker.maxChangeAgeMs", "500");
        assertThatThrownBy(() -> SettingsCheck.check(k -> Optional.ofNullable(settings.get(k))))
                .hasMessageStartingWith("worker.maxChangeAgeMs = 500 is not allowed");
    }

    @Test
    void camelMainStopsBeforeAnyRouteOrBeanIsBuilt() {
        Main main = Application.camelMain(Role.PIPELINE);
        Application.sealFromProcess(main);
        main.addOverrideProperty("script.contexts", "0");
        main.addOverrideProperty("cdc.serverId", "not a number"); // the connector bean would fail first
        assertThatThrownBy(main::run).isInstanceOf(ConfigurationException.class).hasMessageStartingWith("cdc.serverId = not a number is not allowed");
    }
}
