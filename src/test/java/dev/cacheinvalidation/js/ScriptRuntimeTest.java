package dev.cacheinvalidation.js;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.event.ChangeEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScriptRuntimeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ScriptRuntime seed;

    private final List<ScriptRuntime> opened = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void loadSeedScript() {
        seed = new ScriptRuntime(null, List.of(Path.of("routes/cache-keys.js"), Path.of("routes/table-keys.js")), 500, 0);
    }

    @AfterAll
    static void closeSeedScript() {
        seed.close();
    }

    @AfterEach
    void closeScripts() {
        opened.forEach(ScriptRuntime::close);
    }

    // native events, as the pipeline hands them to the script

    private static Map<String, Object> row(Object... columnsAndValues) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < columnsAndValues.length; i += 2) {
            row.put((String) columnsAndValues[i], columnsAndValues[i + 1]);
        }
        return row;
    }

    private static ChangeEvent event(String op, String table, Map<String, Object> before, Map<String, Object> after) {
        return new ChangeEvent(op, table, before, after, new ArrayList<>(),
                new ChangeEvent.SourcePosition("mysql-bin.000004", 4711L, 0, "0-1-99", 1L, 1_710_505_445_000L, 1_710_505_445_000_000L), "0-1-99");
    }

    private static List<JsonNode> run(ScriptRuntime runtime, ChangeEvent... events) {
        try {
            List<JsonNode> out = new ArrayList<>();
            for (String line : runtime.processBatch(JSON.writeValueAsString(List.of(events)))) {
                out.add(JSON.readTree(line));
            }
            return out;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode runOne(ChangeEvent event) {
        List<JsonNode> out = run(seed, event);
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    private static List<String> texts(JsonNode array) {
        assertThat(array.isArray()).as("%s is an array", array).isTrue();
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }

    private Path write(String name, String source) {
        try {
            return Files.writeString(dir.resolve(name), source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ScriptRuntime runtime(String name, String source, long timeoutMs) {
        ScriptRuntime runtime = new ScriptRuntime(write(name, source), timeoutMs);
        opened.add(runtime);
        return runtime;
    }

    private ScriptRuntime runtime(String name, String source) {
        return runtime(name, source, 500);
    }

    // the seed script

    @Test
    void emailChangeOfAUserInvalidatesBothEmailsAndTheUser() {
        JsonNode out = runOne(event("u", "shop.users", row("id", 1, "email", "old@example.com"),
                row("id", 1, "email", "new@example.com")));

        assertThat(texts(out.at("/after/_cache_keys"))).containsExactly("user:1", "user:email:new@example.com",
                "user:email:old@example.com", "user:1:orders", "user:1:profile");
        assertThat(texts(out.get("tags"))).containsExactly("cache:invalidate", "strategy:batched", "keys:5");
        assertThat(out.at("/after/_invalidation_strategy").asText()).isEqualTo("batched");
    }

    @Test
    void userUpdateWithoutEmailChangeHasNoOldEmailKey() {
        JsonNode out = runOne(event("u", "shop.users", row("id", 1, "email", "same@example.com", "name", "A"),
                row("id", 1, "email", "same@example.com", "name", "B")));

        assertThat(texts(out.at("/after/_cache_keys"))).containsExactly("user:1", "user:email:same@example.com",
                "user:1:orders", "user:1:profile");
    }

    @Test
    void deleteOfAProductPutsImmediateKeysOnBefore() {
        JsonNode out = runOne(event("d", "shop.products", row("id", 7, "category_id", 3), null));

        assertThat(out.get("after").isNull()).isTrue();
        assertThat(texts(out.at("/before/_cache_keys"))).containsExactly("product:7", "product:7:details",
                "category:3:products");
        assertThat(out.at("/before/_invalidation_strategy").asText()).isEqualTo("immediate");
        assertThat(texts(out.get("tags"))).contains("strategy:immediate", "keys:3");
    }

    @Test
    void inventoryRowInvalidatesTheStockOfItsProduct() {
        JsonNode out = runOne(event("u", "shop.inventory", row("id", 10, "product_id", 42, "quantity", 4),
                row("id", 10, "product_id", 42, "quantity", 3)));

        assertThat(texts(out.at("/after/_cache_keys"))).containsExactly("inventory:42", "product:42:stock");
        assertThat(texts(out.get("tags"))).contains("strategy:immediate");
    }

    @Test
    void productWithCategoryInvalidatesTheCategoryList() {
        JsonNode out = runOne(event("c", "shop.products", null, row("id", 5, "category_id", 9)));

        assertThat(texts(out.at("/after/_cache_keys"))).containsExactly("product:5", "product:5:details",
                "category:9:products");
    }

    @Test
    void productWithoutCategoryHasNoCategoryKey() {
        JsonNode out = runOne(event("c", "shop.products", null, row("id", 5, "category_id", null)));

        assertThat(texts(out.at("/after/_cache_keys"))).containsExactly("product:5", "product:5:details");
    }

    @Test
    void orderInvalidatesItselfAndTheOrdersOfItsUser() {
        JsonNode out = runOne(event("c", "shop.orders", null, row("id", 3, "user_id", 2)));

        assertThat(texts(out.at("/after/_cache_keys"))).containsExactly("order:3", "user:2:orders");
    }

    @Test
    void tableOutsideTheFourGetsNoKeys() {
        JsonNode out = runOne(event("c", "shop.audit_log", null, row("id", 1, "action", "login")));

        assertThat(texts(out.at("/after/_cache_keys"))).isEmpty();
        assertThat(texts(out.get("tags"))).contains("keys:0");
    }

    @Test
    void rowWithoutIdGetsNoKeys() {
        JsonNode out = runOne(event("c", "shop.users", null, row("email", "x@example.com")));

        assertThat(texts(out.at("/after/_cache_keys"))).isEmpty();
    }

    @Test
    void seedKeepsTheNativeFieldsAndTheOrderOfTheBatch() {
        List<JsonNode> out = run(seed,
                event("c", "shop.users", null, row("id", 1)),
                event("c", "shop.orders", null, row("id", 2)),
                event("c", "shop.products", null, row("id", 3)));

        assertThat(out).extracting(e -> e.get("table").asText())
                .containsExactly("shop.users", "shop.orders", "shop.products");
        assertThat(out.get(0).get("op").asText()).isEqualTo("c");
        assertThat(out.get(0).get("tx").asText()).isEqualTo("0-1-99");
        assertThat(out.get(0).at("/source/file").asText()).isEqualTo("mysql-bin.000004");
        assertThat(out.get(0).at("/source/server_id").asLong()).isEqualTo(1L);
    }

    @Test
    void decimalStringsReachTheStreamWithAllDigits() {
        JsonNode out = runOne(event("u", "shop.products", row("id", 5, "price", "12345678901234567.89"),
                row("id", 5, "price", "12345678901234567.90")));

        assertThat(out.at("/after/price").asText()).isEqualTo("12345678901234567.90");
    }

    // user scripts

    @Test
    void scriptThatFiltersReturnsFewerEntries() {
        ScriptRuntime runtime = runtime("filter.js", """
                function processBatch(events) {
                  return events.filter(e => e.table !== 'shop.audit_log');
                }
                """);

        List<JsonNode> out = run(runtime,
                event("c", "shop.users", null, row("id", 1)),
                event("c", "shop.audit_log", null, row("id", 2)),
                event("c", "shop.orders", null, row("id", 3)));

        assertThat(out).extracting(e -> e.get("table").asText()).containsExactly("shop.users", "shop.orders");
    }

    @Test
    void scriptThatReturnsNothingGivesNoEntries() {
        ScriptRuntime runtime = runtime("none.js", "function processBatch(events) { return []; }\n");

        assertThat(run(runtime, event("c", "shop.users", null, row("id", 1)))).isEmpty();
    }

    @Test
    void fieldsTheScriptAddsAreKept() {
        ScriptRuntime runtime = runtime("enrich.js", """
                function processBatch(events) {
                  return events.map(e => {
                    e.after.extra = { nested: [1, 'two'] };
                    e.before.checked = true;
                    e.tags.push('team:checkout');
                    e.priority = 5;
                    return e;
                  });
                }
                """);

        JsonNode out = run(runtime, event("u", "shop.users", row("id", 1), row("id", 1))).get(0);

        assertThat(out.at("/after/extra/nested/0").asInt()).isEqualTo(1);
        assertThat(out.at("/after/extra/nested/1").asText()).isEqualTo("two");
        assertThat(out.at("/before/checked").asBoolean()).isTrue();
        assertThat(texts(out.get("tags"))).containsExactly("team:checkout");
        assertThat(out.get("priority").asInt()).isEqualTo(5);
        assertThat(out.at("/after/id").asInt()).isEqualTo(1);
    }

    @Test
    void scriptMayBuildNewEventsWithNewlinesInTheirValues() {
        ScriptRuntime runtime = runtime("multiline.js", """
                function processBatch(events) {
                  return [{ op: 'c', table: 'shop.notes', after: { text: 'line one\\nline two' } }];
                }
                """);

        List<JsonNode> out = run(runtime, event("c", "shop.users", null, row("id", 1)));

        assertThat(out).hasSize(1);
        assertThat(out.get(0).at("/after/text").asText()).isEqualTo("line one\nline two");
    }

    @Test
    void scriptErrorNamesTheFileAndLine() {
        Path file = write("typo.js", """
                function processBatch(events) {
                  return events.map(e => {
                    return e.after.missing.field;
                  });
                }
                """);
        ScriptRuntime runtime = new ScriptRuntime(file, 500);
        opened.add(runtime);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining(file + ":3")
                .hasMessageContaining("TypeError");
    }

    @Test
    void scriptThatThrowsFailsWithItsMessageFileAndLine() {
        Path file = write("throws.js", """
                function processBatch(events) {
                  if (events.length > 0) {
                    throw new Error('cannot handle ' + events[0].table);
                  }
                  return events;
                }
                """);
        ScriptRuntime runtime = new ScriptRuntime(file, 500);
        opened.add(runtime);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining(file + ":3")
                .hasMessageContaining("cannot handle shop.users");
    }

    @Test
    void runtimeStillWorksAfterAScriptError() {
        ScriptRuntime runtime = runtime("sometimes.js", """
                function processBatch(events) {
                  if (events.some(e => e.after && e.after.bad)) throw new Error('bad row');
                  return events;
                }
                """);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1, "bad", true))))
                .isInstanceOf(ScriptFailure.class);
        assertThat(run(runtime, event("c", "shop.users", null, row("id", 2)))).hasSize(1);
    }

    @Test
    void aSliceSeveralTimesTheBatchSizeGetsAsManyTimesTheLimits() throws Exception {
        ScriptRuntime runtime = new ScriptRuntime(write("spin-slice.js", """
                function processBatch(events) {
                  if (events.some(e => e.after && e.after.spin)) {
                    while (true) {}
                  }
                  return events;
                }
                """), 100, 64);
        opened.add(runtime);
        assertThat(runtime.processBatch(JSON.writeValueAsString(List.of(event("c", "shop.users", null, row("id", 0)))), 1))
                .hasSize(1);

        assertThatThrownBy(() -> runtime.processBatch(
                JSON.writeValueAsString(List.of(event("c", "shop.users", null, row("id", 1, "spin", true)))), 3))
                .isInstanceOf(ScriptFailure.class).hasMessageContaining("300 ms");
    }

    @Test
    void endlessScriptIsStoppedByTheTimeoutAndTheRuntimeRecovers() {
        ScriptRuntime runtime = runtime("spin.js", """
                function processBatch(events) {
                  if (events.some(e => e.after && e.after.spin)) {
                    while (true) {}
                  }
                  return events;
                }
                """, 200);
        // the first call after loading may take ten times as long (engine warm-up)
        assertThat(run(runtime, event("c", "shop.users", null, row("id", 0)))).hasSize(1);

        long start = System.nanoTime();
        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1, "spin", true))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining("spin.js")
                .hasMessageContaining("200 ms");
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(elapsedMs).as("the call was cut off near its timeout").isLessThan(10_000);

        List<JsonNode> next = run(runtime, event("c", "shop.users", null, row("id", 2)));
        assertThat(next).hasSize(1);
        assertThat(next.get(0).at("/after/id").asInt()).isEqualTo(2);
    }

    @Test
    void scriptThatAllocatesWithoutBoundIsStoppedAtTheMemoryLimitAndTheRuntimeRecovers() {
        Path file = write("hog.js", """
                function processBatch(events) {
                  if (events.some(e => e.after && e.after.hog)) {
                    const hoard = [];
                    while (true) { hoard.push(new Array(10000).fill(hoard.length)); }
                  }
                  return events;
                }
                """);
        ScriptRuntime runtime = new ScriptRuntime(file, 30_000, 32);
        opened.add(runtime);
        assertThat(run(runtime, event("c", "shop.users", null, row("id", 0)))).hasSize(1);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1, "hog", true))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining("hog.js")
                .hasMessageContaining("allocated more than 32 MB");

        assertThat(run(runtime, event("c", "shop.users", null, row("id", 2)))).hasSize(1);
    }

    @Test
    void anEndlessLoopAtTheTopLevelStopsLoadingWithAConfigurationError() {
        Path file = write("endless-load.js", "while (true) {}\nfunction processBatch(events) { return events; }\n");
        assertThatThrownBy(() -> new ScriptRuntime(file, 100))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("endless-load.js")
                .hasMessageContaining("while loading");
    }

    @Test
    void returningSomethingOtherThanAnArrayFails() {
        ScriptRuntime object = runtime("object.js", "function processBatch(events) { return { events: events }; }\n");
        ScriptRuntime nothing = runtime("null.js", "function processBatch(events) { return null; }\n");
        ScriptRuntime forgot = runtime("forgot.js", "function processBatch(events) { events.forEach(e => e); }\n");

        assertThatThrownBy(() -> run(object, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class).hasMessageContaining("must return an array");
        assertThatThrownBy(() -> run(nothing, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class).hasMessageContaining("null");
        assertThatThrownBy(() -> run(forgot, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class).hasMessageContaining("undefined");
    }

    @Test
    void eventsWhoseJsonIsNotAnEventArrayFail() {
        ScriptRuntime arrayToJson = runtime("array-tojson.js", """
                function processBatch(events) {
                  events.toJSON = () => 'not an array';
                  return events;
                }
                """);
        ScriptRuntime arrayToUndefined = runtime("array-undefined.js", """
                function processBatch(events) {
                  events.toJSON = () => undefined;
                  return events;
                }
                """);
        ScriptRuntime elementToJson = runtime("element-tojson.js", """
                function processBatch(events) {
                  events[0].toJSON = () => undefined;
                  return events;
                }
                """);

        for (ScriptRuntime runtime : List.of(arrayToJson, arrayToUndefined)) {
            assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1))))
                    .isInstanceOf(ScriptFailure.class).hasMessageContaining("JSON text is not an array");
        }
        assertThatThrownBy(() -> run(elementToJson, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class).hasMessageContaining("element at index 0")
                .hasMessageContaining("not an object");
    }

    @Test
    void returningAnElementWithoutTableFails() {
        ScriptRuntime runtime = runtime("notable.js", """
                function processBatch(events) {
                  return events.map((e, i) => i === 1 ? { op: e.op, after: e.after } : e);
                }
                """);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1)),
                event("c", "shop.users", null, row("id", 2))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining("index 1")
                .hasMessageContaining("table")
                .hasMessageContaining("notable.js");
    }

    @Test
    void returningNonObjectElementsFails() {
        ScriptRuntime runtime = runtime("keys.js", "function processBatch(events) { return ['user:1']; }\n");

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining("index 0");
    }

    // loading

    @Test
    void syntaxErrorNamesTheFileAndLine() {
        Path file = write("syntax.js", """
                function processBatch(events) {
                  return events.map(e => {
                    e.after.x = ;
                  });
                }
                """);

        assertThatThrownBy(() -> new ScriptRuntime(file, 500))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file + ":3");
    }

    @Test
    void missingScriptFileIsAConfigurationError() {
        Path file = dir.resolve("absent.js");

        assertThatThrownBy(() -> new ScriptRuntime(file, 500))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void scriptWithoutProcessBatchIsAConfigurationError() {
        Path file = write("nofunction.js", "function process(events) { return events; }\n");

        assertThatThrownBy(() -> new ScriptRuntime(file, 500))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("processBatch");
    }

    @Test
    void processBatchThatIsNotAFunctionIsAConfigurationError() {
        Path file = write("notfunction.js", "var processBatch = [];\n");

        assertThatThrownBy(() -> new ScriptRuntime(file, 500))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("processBatch");
    }

    @Test
    void scriptThatThrowsWhileLoadingIsAConfigurationError() {
        Path file = write("loadfails.js", """
                const settings = JSON.parse('{ not json');
                function processBatch(events) { return events; }
                """);

        assertThatThrownBy(() -> new ScriptRuntime(file, 500))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void processBatchMayBeAConstArrowFunction() {
        ScriptRuntime runtime = runtime("arrow.js", "const processBatch = (events) => events.slice(0, 1);\n");

        assertThat(run(runtime, event("c", "shop.users", null, row("id", 1)),
                event("c", "shop.users", null, row("id", 2)))).hasSize(1);
    }

    // sandbox

    @Test
    void scriptSeesNoNodeBrowserOrPolyglotGlobals() {
        ScriptRuntime runtime = runtime("globals.js", """
                function processBatch(events) {
                  return [{ op: 'c', table: 'sandbox.probe', after: {
                    process: typeof process,
                    require: typeof require,
                    fetch: typeof fetch,
                    XMLHttpRequest: typeof XMLHttpRequest,
                    Polyglot: typeof Polyglot
                  } }];
                }
                """);

        JsonNode after = run(runtime, event("c", "shop.users", null, row("id", 1))).get(0).get("after");

        assertThat(after.properties()).hasSize(5)
                .allSatisfy(global -> assertThat(global.getValue().asText()).as(global.getKey()).isEqualTo("undefined"));
    }

    @Test
    void everyWayOutOfTheSandboxFails() {
        Path secret = write("secret.txt", "s3cr3t-content");
        ScriptRuntime runtime = runtime("escape.js", """
                function attempt(f) {
                  try { return 'returned ' + String(f()); } catch (e) { return 'threw ' + e.name; }
                }
                function processBatch(events) {
                  return [{ op: 'c', table: 'sandbox.probe', after: {
                    javaType: attempt(() => Java.type('java.lang.System')),
                    packages: attempt(() => Packages.java.lang.System.getenv('PATH')),
                    requireFs: attempt(() => require('fs')),
                    xhr: attempt(() => new XMLHttpRequest()),
                    fetch: attempt(() => fetch('http://localhost/')),
                    env: attempt(() => process.env.PATH),
                    loadFile: attempt(() => load(SECRET))
                  } }];
                }
                """.replace("SECRET", quoted(secret.toString())));

        JsonNode out = run(runtime, event("c", "shop.users", null, row("id", 1))).get(0);

        assertThat(out.get("after").properties()).hasSize(7)
                .allSatisfy(probe -> assertThat(probe.getValue().asText()).as(probe.getKey()).startsWith("threw "));
        assertThat(out.toString()).doesNotContain("s3cr3t-content");
    }

    @Test
    void hostClassLookupFailsTheBatch() {
        ScriptRuntime runtime = runtime("host.js", """
                function processBatch(events) {
                  const System = Java.type('java.lang.System');
                  return events.map(e => ({ ...e, home: System.getenv('HOME') }));
                }
                """);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining("java.lang.System");
    }

    @Test
    void consoleOutputDoesNotDisturbTheBatch() {
        ScriptRuntime runtime = runtime("console.js", """
                function processBatch(events) {
                  console.log('batch of', events.length, { first: events[0].table });
                  console.error('an error line');
                  console.warn('no trailing newline');
                  print('print works too');
                  return events;
                }
                """);

        List<JsonNode> out = run(runtime, event("c", "shop.users", null, row("id", 1)),
                event("c", "shop.users", null, row("id", 2)));

        assertThat(out).extracting(e -> e.at("/after/id").asInt()).containsExactly(1, 2);
    }

    private static String quoted(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    // table changes (TRUNCATE, DROP TABLE)

    @Test
    void originalScriptPassesATableChangeOnWithoutKeys() {
        ScriptRuntime original = new ScriptRuntime(Path.of("routes/cache-keys.js"), 500);
        opened.add(original);

        List<JsonNode> out = run(original, event("t", "shop.users", null, null));

        assertThat(out).hasSize(1);
        assertThat(out.get(0).get("op").asText()).isEqualTo("t");
        assertThat(out.get(0).get("before").isNull()).isTrue();
        assertThat(out.get(0).get("after").isNull()).isTrue();
        assertThat(texts(out.get(0).get("tags"))).contains("keys:0");
    }

    @Test
    void tableChangeOfUsersNamesEveryUserKeyAsAPattern() {
        JsonNode out = runOne(event("t", "shop.users", null, null));

        assertThat(texts(out.at("/before/_cache_keys"))).containsExactly("user:*");
        assertThat(out.get("after").isNull()).isTrue();
        assertThat(texts(out.get("tags"))).containsExactly("cache:invalidate", "strategy:immediate", "keys:1");
    }

    @Test
    void tableChangeOfInventoryNamesItsKeysAndTheStockOfEveryProduct() {
        JsonNode out = runOne(event("t", "shop.inventory", null, null));

        assertThat(texts(out.at("/before/_cache_keys"))).containsExactly("inventory:*", "product:*:stock");
    }

    @Test
    void tableChangeOfAnotherTableNamesNoKeys() {
        JsonNode out = runOne(event("t", "shop.sessions", null, null));

        assertThat(texts(out.at("/before/_cache_keys"))).isEmpty();
    }

    @Test
    void tableChangesBetweenRowChangesKeepTheirPlaceAndTheRowsGoThroughTheSeedScript() {
        List<JsonNode> out = run(seed, event("u", "shop.users", row("id", 1), row("id", 1)),
                event("t", "shop.products", null, null), event("d", "shop.orders", row("id", 3, "user_id", 1), null));

        assertThat(out).extracting(e -> e.get("op").asText()).containsExactly("u", "t", "d");
        assertThat(texts(out.get(0).at("/after/_cache_keys"))).contains("user:1");
        assertThat(texts(out.get(1).at("/before/_cache_keys"))).containsExactly("product:*", "category:*:products");
        assertThat(texts(out.get(2).at("/before/_cache_keys"))).containsExactly("order:3", "user:1:orders");
    }

    // several script files

    @Test
    void filesLoadInOrderIntoOneContextAndTheLastProcessBatchIsCalled() {
        Path first = write("first.js", "function processBatch(events) { return events; }\nconst LABEL = 'first';\n");
        Path second = write("second.js", """
                const inner = processBatch;
                processBatch = function (events) {
                  return inner(events).map(e => ({ ...e, tags: [LABEL, 'second'] }));
                };
                """);
        ScriptRuntime runtime = new ScriptRuntime(null, List.of(first, second), 500, 0);
        opened.add(runtime);

        JsonNode out = run(runtime, event("c", "shop.users", null, row("id", 1))).get(0);

        assertThat(texts(out.get("tags"))).containsExactly("first", "second");
    }

    @Test
    void anErrorInTheSecondFileNamesThatFileAndLine() {
        Path first = write("ok.js", "function processBatch(events) { return events; }\n");
        Path second = write("broken.js", "const inner = processBatch;\nprocessBatch = function (events) {\n"
                + "  return inner(events).map(e => e.after.missing.field);\n};\n");
        ScriptRuntime runtime = new ScriptRuntime(null, List.of(first, second), 500, 0);
        opened.add(runtime);

        assertThatThrownBy(() -> run(runtime, event("c", "shop.users", null, row("id", 1))))
                .isInstanceOf(ScriptFailure.class)
                .hasMessageContaining(second + ":3");
    }

    @Test
    void aSyntaxErrorInTheSecondFileStopsLoadingWithThatFile() {
        Path first = write("fine.js", "function processBatch(events) { return events; }\n");
        Path second = write("syntax.js", "\nprocessBatch = function (events) {\n");

        assertThatThrownBy(() -> new ScriptRuntime(null, List.of(first, second), 500, 0))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(second.toString());
    }

    @Test
    void runtimesOnOneEngineKeepTheirGlobalsApart() {
        Path counter = write("counter.js", """
                let calls = 0;
                function processBatch(events) { calls++; return events.map(e => ({ ...e, tags: [String(calls)] })); }
                """);
        try (JavaScriptEngine engine = new JavaScriptEngine().warmedUp();
                ScriptRuntime one = new ScriptRuntime(engine, List.of(counter), 500, 0);
                ScriptRuntime other = new ScriptRuntime(engine, List.of(counter), 500, 0)) {
            run(one, event("c", "shop.users", null, row("id", 1)));

            assertThat(texts(run(one, event("c", "shop.users", null, row("id", 1))).get(0).get("tags"))).containsExactly("2");
            assertThat(texts(run(other, event("c", "shop.users", null, row("id", 1))).get(0).get("tags"))).containsExactly("1");
        }
    }
}
