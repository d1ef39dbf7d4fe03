package dev.cacheinvalidation.recovery;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.DatabasePreflight;
import dev.cacheinvalidation.config.MysqlDsn;
import dev.cacheinvalidation.config.ServerFlavor;
import dev.cacheinvalidation.event.DebeziumChangeMapper;
import dev.cacheinvalidation.js.ScriptBatchProcessor;
import dev.cacheinvalidation.offsets.OffsetGate;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar cache-invalidation.jar replay --since T [--until U]}: invalidates again what changed since
 * {@code T} (an ISO-8601 instant, a binlog {@code file:pos}, or a GTID set already invalidated), up to {@code U}
 * (the same forms; by default the end of the binlog when the replay starts, which is at or after the position the
 * running pipeline has saved). For a cache restored from a backup, or keys a wrong script computed.
 * <p>
 * It is the pipeline, run once beside the running one: the same routes, script and stream, as a connector of its
 * own ({@code replay-<pid>}) with its own position in a temporary directory, never the running pipeline's. Its
 * start position is written before the binlog reader starts: the first transaction committed at or after {@code T},
 * found by reading the event headers of the binlog file that holds {@code T} (the last one begun at or before it);
 * changes committed before {@code T} that come after it (the binlog is in commit order, its times in seconds) are
 * left out as they pass. Its schema history is
 * built from the tables as they are now ({@code snapshot.mode=recovery}): a replay across a schema change of a
 * captured table is not supported. It ends once the position it saved (everything before it in the stream) has
 * reached {@code U}, with one summary line, exit 0. A binlog that no longer reaches back to {@code T} (purged) is
 * refused, naming the oldest time it can serve (exit 2).
 */
public final class Replay {

    private static final Logger LOG = LoggerFactory.getLogger(Replay.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PLACE = Pattern.compile("[^:\\s]+:\\d+");
    private static final Pattern MARIADB_GTIDS = Pattern.compile("\\d+-\\d+-\\d+(\\s*,\\s*\\d+-\\d+-\\d+)*");
    private static final Pattern MYSQL_GTIDS = Pattern.compile("[0-9a-fA-F-]{36}(:[^,]+)+(\\s*,\\s*[0-9a-fA-F-]{36}(:[^,]+)+)*");
    private static final long PROGRESS_EVERY_MS = 5_000;

    /** One end of the range: a time, a binlog place, or a GTID set; null parts are not given. */
    record Bound(Instant time, BinlogFiles.Place place, String gtids) {

        static Bound parse(String option, String text) {
            String value = text.trim();
            if (MARIADB_GTIDS.matcher(value).matches() || MYSQL_GTIDS.matcher(value).matches()) {
                return new Bound(null, null, value);
            }
            if (PLACE.matcher(value).matches()) {
                return new Bound(null, BinlogFiles.Place.parse(value), null);
            }
            try {
                return new Bound(Instant.parse(value), null, null);
            } catch (DateTimeParseException notAnInstant) {
                try {
                    return new Bound(OffsetDateTime.parse(value).toInstant(), null, null);
                } catch (DateTimeParseException e) {
                    throw new ConfigurationException(option + " " + value + " is neither an ISO-8601 instant"
                            + " (2026-12-02T10:00:00Z), a binlog place (mysql-bin.000012:4711) nor a GTID set");
                }
            }
        }

        @Override
        public String toString() {
            return time != null ? time.toString() : place != null ? place.toString() : "GTIDs " + gtids;
        }
    }

    /** The command's own options, and what is left for Camel Main. */
    record Options(Bound since, Bound until, String[] rest) {

        static Options parse(String[] args) {
            Bound since = null;
            Bound until = null;
            List<String> rest = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                if ("--since".equals(arg) || "--until".equals(arg)) {
                    if (i + 1 >= args.length) {
                        throw new ConfigurationException(arg + " needs a value");
                    }
                    Bound bound = Bound.parse(arg, args[++i]);
                    if ("--since".equals(arg)) {
                        since = bound;
                    } else {
                        until = bound;
                    }
                } else {
                    rest.add(arg);
                }
            }
            if (since == null) {
                throw new ConfigurationException("replay needs --since: an ISO-8601 instant (2026-12-02T10:00:00Z), a"
                        + " binlog place (mysql-bin.000012:4711) or a GTID set");
            }
            if (until != null && until.gtids() != null) {
                throw new ConfigurationException("--until takes an instant or a binlog place, not a GTID set");
            }
            return new Options(since, until, rest.toArray(String[]::new));
        }
    }

    private final Options options;
    private final String connector = "replay-" + ProcessHandle.current().pid();
    private final long serverId = 1_000_000 + ThreadLocalRandom.current().nextInt(1_000_000_000);
    private final Path dataDir;
    private final AtomicLong keys = new AtomicLong();
    private BinlogFiles.Place untilPlace;
    private long untilMs = Long.MAX_VALUE;
    private volatile boolean done;

    private Replay(Options options, Path dataDir) {
        this.options = options;
        this.dataDir = dataDir;
    }

    /** Configures Main for the command and returns the arguments left for it. */
    public static String[] prepare(Main main, String[] args) throws IOException {
        Options options = Options.parse(args);
        Replay replay = new Replay(options, Files.createTempDirectory("cache-invalidation-replay"));
        // as system properties, which Camel ranks above every other source: a CDC_NAME or -Dcdc.dataDir meant for
        // the running pipeline must never give the replay its position
        Map<String, String> own = new LinkedHashMap<>();
        own.put("cdc.name", replay.connector);
        own.put("cdc.serverId", Long.toString(replay.serverId));
        own.put("cdc.dataDir", replay.dataDir.toString());
        own.put("cdc.offsetStore", "file");
        own.put("cdc.schemaHistory", "io.debezium.storage.file.history.FileSchemaHistory");
        own.put("cdc.snapshotMode", "recovery");
        own.put("cdc.escapeAfterCrashes", "0");
        // the script as it is when the replay starts
        own.put("script.reloadCheckMs", "0");
        own.put("camel.management.enabled", "false");
        own.forEach(System::setProperty);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport support) {
                CamelContext context = support.getCamelContext();
                try {
                    context.addStartupListener((started, alreadyStarted) -> {
                        if (!alreadyStarted) {
                            replay.startAt(started);
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void afterStart(BaseMainSupport support) {
                replay.watch(support.getCamelContext(), main);
            }
        });
        return options.rest();
    }

    /** Before the binlog reader starts: where it starts and ends, written down and set on the route's steps. */
    private void startAt(CamelContext context) throws Exception {
        MysqlDsn dsn = MysqlDsn.parse(context.getPropertiesComponent().resolveProperty("cdc.dsn").orElse(""));
        BinlogFiles binlog = new BinlogFiles(dsn, serverId + 1);
        BinlogFiles.Place head = binlog.head();
        Bound since = options.since();
        Map<String, Object> offset = new LinkedHashMap<>();
        String firstGtid = null;
        if (since.time() != null) {
            List<BinlogFiles.BinlogFile> files = binlog.backTo(since.time());
            BinlogFiles.BinlogFile holding = binlog.holding(since.time(), files);
            if (holding == null) {
                throw new ConfigurationException("the binlog of " + dsn.host() + ":" + dsn.port() + " reaches back to "
                        + files.get(0).began() + " only (older files were purged): cannot replay since " + since.time()
                        + "; replay since " + files.get(0).began() + " and flush what changed before, or restore the"
                        + " cache from a backup taken after it");
            }
            BinlogFiles.TransactionStart start = binlog.firstTransactionAtOrAfter(holding.name(), since.time());
            BinlogFiles.Place from = start == null ? head : start.place();
            offset.put("file", from.file());
            offset.put("pos", from.position());
            firstGtid = start == null ? null : start.gtid();
        } else if (since.place() != null) {
            offset.put("file", since.place().file());
            offset.put("pos", since.place().position());
        } else {
            offset.put("file", binlog.names().get(0));
            offset.put("pos", 4L);
            offset.put("gtids", since.gtids());
        }
        if (DatabasePreflight.check(dsn) == ServerFlavor.MARIADB && since.gtids() == null) {
            // MariaDB's binlog reader starts from a GTID position, the one the server gives for that place
            String gtids = binlog.mariaDbGtidPosition(new BinlogFiles.Place((String) offset.get("file"),
                    (Long) offset.get("pos")));
            // nothing before it in the binlog: the position just before the first transaction
            offset.put("gtids", gtids.isEmpty() && firstGtid != null ? before(firstGtid) : gtids);
        }
        Bound until = options.until();
        untilPlace = until == null ? head : until.place();
        untilMs = until != null && until.time() != null ? until.time().toEpochMilli() : Long.MAX_VALUE;
        DebeziumChangeMapper mapper = context.getRegistry().findSingleByType(DebeziumChangeMapper.class);
        mapper.setWindow(since.time() == null ? Long.MIN_VALUE : since.time().toEpochMilli(), untilMs);
        writeStart(offset);
        context.getManagementStrategy().addEventNotifier(new KeyCounter());
        LOG.info("Replay from {} (binlog {}:{}{}) up to {}, as connector {} with its own position in {}", since,
                offset.get("file"), offset.get("pos"), since.gtids() != null ? ", after GTIDs " + since.gtids() : "",
                until == null ? "the binlog's end now, " + head : until, connector, dataDir);
    }

    /** The MariaDB GTID position just before {@code gtid}: its sequence number less one. */
    static String before(String gtid) {
        int last = gtid.lastIndexOf('-');
        return gtid.substring(0, last + 1) + (Long.parseLong(gtid.substring(last + 1)) - 1);
    }

    /** The start position, in the file store's layout (Kafka's: a serialized map of JSON key to JSON value). */
    private void writeStart(Map<String, Object> offset) throws IOException {
        HashMap<byte[], byte[]> raw = new HashMap<>();
        byte[] key = JSON.writeValueAsBytes(List.of(connector, Map.of("server", connector)));
        raw.put(key, JSON.writeValueAsBytes(offset));
        try (ObjectOutputStream out = new ObjectOutputStream(Files.newOutputStream(dataDir.resolve("offsets.dat")))) {
            out.writeObject(raw);
        }
    }

    /** Follows the position the replay saves: progress every few seconds, the summary and the end once it is there. */
    private void watch(CamelContext context, Main main) {
        OffsetGate gate = context.getRegistry().findSingleByType(OffsetGate.class);
        ScriptBatchProcessor script = context.getRegistry().findSingleByType(ScriptBatchProcessor.class);
        long started = System.currentTimeMillis();
        Thread watcher = new Thread(() -> {
            long nextProgress = started + PROGRESS_EVERY_MS;
            while (!done && !context.isStopping()) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                Saved saved = Saved.of(gate.savedOffset());
                if (saved != null && saved.reached(untilPlace, untilMs)) {
                    done = true;
                    LOG.info("Replay done: {} change(s) from {} to {} through the script, {} key(s) in {} stream"
                            + " entr(y/ies), in {} s", script.getEventsIn(), options.since(),
                            options.until() == null ? untilPlace : options.until(), keys.get(), script.getEventsOut(),
                            (System.currentTimeMillis() - started) / 1000);
                    OneOffCommand.end(main, context, 0);
                } else if (System.currentTimeMillis() >= nextProgress) {
                    nextProgress += PROGRESS_EVERY_MS;
                    LOG.info("Replay: {} change(s) through the script, {} key(s); saved up to {}", script.getEventsIn(),
                            keys.get(), saved == null ? "nothing yet" : saved);
                }
            }
        }, "replay-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** A position the replay saved. */
    record Saved(BinlogFiles.Place place, long committedMs) {

        static Saved of(String offset) {
            if (offset == null) {
                return null;
            }
            try {
                JsonNode node = JSON.readTree(offset);
                if (!node.hasNonNull("file")) {
                    return null;
                }
                return new Saved(new BinlogFiles.Place(node.get("file").asText(), node.path("pos").asLong()),
                        node.path("ts_sec").asLong() * 1000);
            } catch (JsonProcessingException e) {
                return null;
            }
        }

        boolean reached(BinlogFiles.Place until, long untilMs) {
            return until != null && place.compareTo(until) >= 0 || committedMs > untilMs;
        }

        @Override
        public String toString() {
            return place + (committedMs > 0 ? " (" + Instant.ofEpochMilli(committedMs) + ")" : "");
        }
    }

    /**
     * The keys an entry names: the strings of its {@code _cache_keys} arrays, counted by a scan of the text (this runs
     * on the writer's thread, for every entry: no parsing into objects).
     */
    static long keysIn(String json) {
        long count = 0;
        int at = 0;
        while ((at = json.indexOf("\"_cache_keys\"", at)) >= 0) {
            at = json.indexOf('[', at);
            if (at < 0) {
                break;
            }
            boolean inString = false;
            for (at++; at < json.length(); at++) {
                char c = json.charAt(at);
                if (inString) {
                    if (c == '\\') {
                        at++;
                    } else if (c == '"') {
                        inString = false;
                    }
                } else if (c == '"') {
                    inString = true;
                    count++;
                } else if (c == ']') {
                    break;
                }
            }
        }
        return count;
    }

    /** Counts the keys of what the writer route wrote: the summary's figure. */
    private final class KeyCounter extends EventNotifierSupport {

        KeyCounter() {
            // Camel makes no event object for what is ignored: only completed exchanges are looked at
            setIgnoreCamelContextEvents(true);
            setIgnoreCamelContextInitEvents(true);
            setIgnoreRouteEvents(true);
            setIgnoreServiceEvents(true);
            setIgnoreStepEvents(true);
            setIgnoreExchangeCreatedEvent(true);
            setIgnoreExchangeFailedEvents(true);
            setIgnoreExchangeRedeliveryEvents(true);
            setIgnoreExchangeSendingEvents(true);
            setIgnoreExchangeSentEvents(true);
            setIgnoreExchangeAsyncProcessingStartedEvents(true);
        }

        @Override
        public boolean isEnabled(CamelEvent event) {
            return event instanceof CamelEvent.ExchangeCompletedEvent;
        }

        @Override
        public void notify(CamelEvent event) {
            Exchange exchange = ((CamelEvent.ExchangeCompletedEvent) event).getExchange();
            if (!Redrive.WRITER_ROUTE.equals(exchange.getFromRouteId())
                    || !(exchange.getMessage().getBody() instanceof List<?> entries)) {
                return;
            }
            long counted = 0;
            for (Object entry : entries) {
                if (entry instanceof String json) {
                    counted += keysIn(json);
                }
            }
            keys.addAndGet(counted);
        }
    }
}
