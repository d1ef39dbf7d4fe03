package dev.cacheinvalidation.config;

import static dev.cacheinvalidation.config.SettingKind.any;
import static dev.cacheinvalidation.config.SettingKind.bytes;
import static dev.cacheinvalidation.config.SettingKind.count;
import static dev.cacheinvalidation.config.SettingKind.durationMs;
import static dev.cacheinvalidation.config.SettingKind.oneOf;
import static dev.cacheinvalidation.config.SettingKind.text;
import static dev.cacheinvalidation.config.SettingKind.wholeNumber;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

import dev.cacheinvalidation.event.EventFilter;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListener;
import org.apache.camel.main.MainListenerSupport;

/**
 * The one check of the settings: every setting of application.properties, as resolved (after overrides, the
 * environment and a pipeline file), against its kind ({@link SettingKind}), before any route or bean is built. The
 * first value that is not allowed stops the start with one {@link ConfigurationException} naming the key, the value
 * (a URI's or DSN's password left out) and what is allowed. The defaults stay in application.properties: a key
 * that resolves to nothing is not checked here.
 */
public final class SettingsCheck {

    private static final Pattern OPERATION = Pattern.compile("create|update|delete|read|truncate");
    private static final Pattern TABLE_PATTERN = Pattern.compile("[A-Za-z0-9_$*]+\\.[A-Za-z0-9_$*]+");
    private static final Pattern COLUMN = Pattern.compile("\\S+");
    private static final Pattern PASSWORD_IN_URI = Pattern.compile("(://[^/@:]*:)[^@/]*@");
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&]*");

    private static final Map<String, SettingKind> KINDS = byKey();

    private SettingsCheck() {
    }

    private static Map<String, SettingKind> byKey() {
        Map<String, SettingKind> kinds = new LinkedHashMap<>();
        kinds.put("camel.management.port", wholeNumber(0, 65535));
        kinds.put("cdc.dsn", SettingKind.emptyOrParsedBy(MysqlDsn::parse));
        kinds.put("cdc.name", SettingKind.connectorName());
        kinds.put("cdc.serverId", wholeNumber(1, 4294967295L));
        kinds.put("cdc.databases", SettingKind.list(SettingKind.NAME, "database names"));
        kinds.put("cdc.tables", SettingKind.list(SettingKind.TABLE, "tables as db.table"));
        kinds.put("cdc.snapshotMode", oneOf("no_data", "initial", "initial_only", "when_needed", "recovery",
                "always", "never", "schema_only", "schema_only_recovery", "configuration_based", "custom"));
        kinds.put("cdc.maxValueLength", count(1));
        kinds.put("cdc.columnExcludeList", SettingKind.listOrEmpty(COLUMN, "db.table.column expressions"));
        kinds.put("cdc.dataDir", text());
        kinds.put("cdc.offsetStore", SettingKind.wordOrClass("file", "redis"));
        kinds.put("cdc.schemaHistory", SettingKind.wordOrClass());
        kinds.put("cdc.pollIntervalMs", durationMs(1));
        kinds.put("cdc.maxBatchSize", count(1));
        kinds.put("cdc.maxQueueSize", count(1));
        kinds.put("cdc.maxQueueSizeInBytes", bytes(0));
        kinds.put("cdc.offsetFlushIntervalMs", durationMs(0));
        kinds.put("cdc.gateStuckAfterMs", durationMs(1));
        kinds.put("cdc.heartbeatIntervalMs", durationMs(0));
        kinds.put("cdc.engineRestartAfterMs", durationMs(1));
        kinds.put("cdc.engineDeadAfterMs", durationMs(0));
        kinds.put("cdc.escapeAfterCrashes", count(0));
        kinds.put("filter.ops", SettingKind.listOrEmpty(OPERATION, "create, update, delete, read, truncate"));
        kinds.put("filter.tablesInclude", SettingKind.listOrEmpty(TABLE_PATTERN, "db.table ('*' for any characters)"));
        kinds.put("filter.tablesExclude", SettingKind.listOrEmpty(TABLE_PATTERN, "db.table ('*' for any characters)"));
        kinds.put("filter.fields", SettingKind.parsedBy(fields -> new EventFilter().setFields(fields)));
        kinds.put("filter.match", oneOf("all", "any"));
        kinds.put("batch.maxEvents", count(1));
        kinds.put("batch.maxMs", durationMs(1));
        kinds.put("batch.maxBytes", bytes(1));
        kinds.put("batch.hardCap", count(1));
        kinds.put("batch.maxEventsInFlight", count(1));
        kinds.put("script.file", SettingKind.existingFiles());
        kinds.put("script.contexts", count(1));
        kinds.put("script.timeoutMs", durationMs(1));
        kinds.put("script.memMb", count(0)); // 0: no limit of the script's own
        kinds.put("script.retries", count(0));
        kinds.put("script.onFailure", oneOf("dead-letter", "fail"));
        kinds.put("script.reloadCheckMs", durationMs(0));
        kinds.put("redis.uri", SettingKind.parsedBy(uri -> RedisAddress.parse(uri, "redis.uri")));
        kinds.put("redis.waitReplicas", count(0));
        kinds.put("cache.uri", SettingKind.parsedBy(uri -> RedisAddress.parse(uri, "cache.uri")));
        kinds.put("cache.waitReplicas", count(0));
        kinds.put("stream.key", text());
        kinds.put("stream.maxLen", wholeNumber(0, Long.MAX_VALUE));
        kinds.put("stream.deadLetterKey", text());
        kinds.put("stream.evictionCheckMs", durationMs(0));
        kinds.put("worker.group", text());
        kinds.put("worker.consumerName", any());
        kinds.put("worker.consumers", count(1));
        kinds.put("worker.batchSize", count(1));
        kinds.put("worker.blockMs", durationMs(0));
        kinds.put("worker.claimIdleMs", durationMs(1));
        kinds.put("worker.maxDeliveries", count(1));
        kinds.put("worker.deadLetterStream", text());
        kinds.put("worker.maxLag", wholeNumber(0, Long.MAX_VALUE));
        kinds.put("worker.maxChangeAgeMs", durationMs(0));
        kinds.put("worker.freshnessObjectiveMs", durationMs(1));
        kinds.put("worker.redeleteAfterMs", durationMs(0));
        return Collections.unmodifiableMap(kinds);
    }

    /** Every setting checked here, with its kind. */
    public static Map<String, SettingKind> kinds() {
        return KINDS;
    }

    /** Checks the settings as {@code resolve} gives them (empty: not set, not checked). */
    public static void check(Function<String, Optional<String>> resolve) {
        check(resolve, Set.of());
    }

    /** The same, but for the keys {@code unused} (a process without the script does not need its files). */
    public static void check(Function<String, Optional<String>> resolve, Set<String> unused) {
        Map<String, String> values = new LinkedHashMap<>();
        KINDS.forEach((key, kind) -> resolve.apply(key).filter(value -> !unused.contains(key)).ifPresent(value -> {
            String allowed = kind.problem(value);
            if (allowed != null) {
                throw new ConfigurationException(key + " = " + shown(value) + " is not allowed: " + allowed);
            }
            values.put(key, value.trim());
        }));
        long redelete = number(values, "worker.redeleteAfterMs");
        if (redelete > 0 && redelete >= number(values, "worker.claimIdleMs")) {
            // others would take over entries that wait for their second delete, and count them as failed
            throw new ConfigurationException("worker.redeleteAfterMs = " + redelete + " is not allowed: 0, or below"
                    + " worker.claimIdleMs (" + values.get("worker.claimIdleMs") + ")");
        }
        long maxAge = number(values, "worker.maxChangeAgeMs");
        if (redelete > 0 && maxAge > 0 && redelete >= maxAge) {
            // entries wait unacknowledged for their second delete: readiness would go DOWN with each of them
            throw new ConfigurationException("worker.maxChangeAgeMs = " + maxAge + " is not allowed: 0, or above"
                    + " worker.redeleteAfterMs (" + redelete + ")");
        }
    }

    /**
     * The check as a Camel Main listener: after the settings are loaded, before any route or bean is built;
     * {@code unused}: keys the process does not use (not checked).
     */
    public static MainListener beforeConfigure(Set<String> unused) {
        return new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                check(support.getCamelContext().getPropertiesComponent()::resolveProperty, unused);
            }
        };
    }

    /** A value as a message may show it: the password of a URI or DSN left out. */
    static String shown(String value) {
        String shown = PASSWORD_IN_URI.matcher(value).replaceAll("$1***@");
        return PASSWORD_PARAMETER.matcher(shown).replaceAll("$1***");
    }

    private static long number(Map<String, String> values, String key) {
        String value = values.get(key);
        return value == null ? Long.MAX_VALUE : Long.parseLong(value);
    }
}
