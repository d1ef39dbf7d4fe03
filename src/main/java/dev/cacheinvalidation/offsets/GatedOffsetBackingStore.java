package dev.cacheinvalidation.offsets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.cacheinvalidation.config.SavedPositionCheck;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;

/**
 * Debezium offset store that saves an offset only once the {@link OffsetGate} of its connector (named by
 * {@value #CONNECTOR}, found among the {@link ConnectorGates}) says every record before it is in the stream. The actual
 * saving is done by a delegate, named by {@value #DELEGATE}: {@code file} (default),
 * {@code redis} ({@link RedisOffsetStore} at the address of {@value #REDIS_URI}, so a pod needs no volume),
 * or the class name of another offset store.
 */
public class GatedOffsetBackingStore implements OffsetBackingStore {

    /** Offset store setting naming the connector whose gate holds its writes. */
    public static final String CONNECTOR = "offset.storage.gated.connector";
    public static final String DELEGATE = "offset.storage.gated.delegate";
    public static final String REDIS_URI = "offset.storage.gated.redis.uri";
    private static final long SERVER_CHECK_SECONDS = 5;

    private OffsetGate gate;
    private OffsetBackingStore delegate;
    private boolean schemaOnlySnapshot;
    private ByteBuffer crashCounterKey;
    private boolean positionRead;
    private volatile String startOffset;
    private ScheduledExecutorService serverChecks;
    private Map<String, String> settings;
    private String savedWhere;

    @Override
    public void configure(WorkerConfig config) {
        settings = config.originalsStrings();
        gate = ConnectorGates.find(settings.get(CONNECTOR));
        gate.connectorStarting();
        crashCounterKey = CrashCounter.key(settings.get(CONNECTOR));
        schemaOnlySnapshot = SnapshotMarker.isSchemaOnly(settings.get("snapshot.mode"));
        String delegateClass = settings.getOrDefault(DELEGATE, "file");
        if ("file".equals(delegateClass) || "org.apache.kafka.connect.storage.FileOffsetBackingStore".equals(delegateClass)) {
            createParentDirectory(settings.get("offset.storage.file.filename"));
            delegate = new AtomicFileOffsetBackingStore();
            savedWhere = "the file " + settings.get("offset.storage.file.filename");
        } else if ("redis".equals(delegateClass)) {
            delegate = new RedisOffsetStore();
            savedWhere = "the Redis key " + settings.get(RedisOffsetStore.KEY);
        } else {
            try {
                delegate = (OffsetBackingStore) Class.forName(delegateClass).getDeclaredConstructor().newInstance();
                savedWhere = "the store " + delegateClass;
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalArgumentException(DELEGATE + "=" + delegateClass + " is not an offset store class", e);
            }
        }
        delegate.configure(config);
    }

    private static void createParentDirectory(String file) {
        if (file == null) {
            return;
        }
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create the data directory " + parent + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void start() {
        delegate.start();
        positionRead = false;
        startOffset = null;
        // the binlog client reconnects by itself, to whatever the DSN leads to now: a server with another history
        // may accept the position and stream its own, so the server is asked again while the reader runs
        serverChecks = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "binlog-server-check");
            thread.setDaemon(true);
            return thread;
        });
        serverChecks.scheduleWithFixedDelay(this::checkServer, SERVER_CHECK_SECONDS, SERVER_CHECK_SECONDS,
                TimeUnit.SECONDS);
    }

    private void checkServer() {
        if (gate.positionRefusal() == null) {
            serverRefusal().ifPresent(gate::positionRefused);
        }
    }

    /** Why the server cannot continue from the position saved last (or this run's start), with what to do. */
    private Optional<String> serverRefusal() {
        String saved = gate.savedOffset() != null ? gate.savedOffset() : startOffset;
        if (saved == null) {
            return Optional.empty();
        }
        try {
            return SavedPositionCheck.refusal(settings, saved, false).map(this::withWhatToDo);
        } catch (RuntimeException e) {
            // asked again later; the reader meets the same trouble meanwhile
            return Optional.empty();
        }
    }

    /** The reason goes to the gate, which the watchdog asks; it says it once. */
    private String withWhatToDo(String refusal) {
        return refusal + ". Point MYSQL_DSN at a server with that history (the old primary, or a replica"
                + " that had all of it, promoted, with gtid_strict_mode and log_slave_updates on); or, knowing that the"
                + " changes in between are then never invalidated, remove the saved position (" + savedWhere + ") to"
                + " start from the server's current position, and flush the caches";
    }

    @Override
    public void stop() {
        if (serverChecks != null) {
            serverChecks.shutdownNow();
        }
        gate.binlogReaderRuns(false);
        gate.flushBeforeStop();
        gate.crashCounter().runEnded();
        delegate.stop();
    }

    /**
     * Debezium's first read is of the saved position, where this run starts. The server is asked whether it can
     * continue from there (after a failover it may have another history, lack changes or have purged them): if
     * not, the read fails and the gate keeps why, so that the engine is not started again. Else the crash counter
     * learns the position, with the record the previous run left beside it.
     */
    @Override
    public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        Future<Map<ByteBuffer, ByteBuffer>> read = delegate.get(keys);
        if (!positionRead) {
            positionRead = true;
            Map<ByteBuffer, ByteBuffer> position = await(read);
            ByteBuffer saved = position.values().stream().filter(value -> value != null).findFirst().orElse(null);
            String savedOffset = saved == null ? "" : StandardCharsets.UTF_8.decode(saved.duplicate()).toString();
            Optional<String> refusal = SavedPositionCheck.refusal(settings, savedOffset, true);
            if (refusal.isPresent()) {
                gate.positionRefused(withWhatToDo(refusal.get()));
                throw new ConnectException("the binlog reader does not start: the server was refused (the reason is"
                        + " logged once, by the engine watchdog)");
            }
            startOffset = savedOffset;
            gate.positionRefused(null);
            gate.serverCheck(this::serverRefusal);
            gate.binlogReaderRuns(true);
            ByteBuffer previous = await(delegate.get(List.of(crashCounterKey))).get(crashCounterKey);
            gate.crashCounter().runStarting(savedOffset,
                    CrashCounter.decode(previous), record -> await(delegate.set(Map.of(crashCounterKey,
                            CrashCounter.encode(record)), null)));
            return CompletableFuture.completedFuture(position);
        }
        return read;
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading or writing the offset store", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the offset store failed: " + e.getMessage(), e);
        }
    }

    @Override
    public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
        Map<ByteBuffer, ByteBuffer> saved = schemaOnlySnapshot ? SnapshotMarker.withoutSnapshotMarker(values) : values;
        gate.whenDelivered(() -> {
            if (gate.positionRefusal() != null) {
                // the position stays where a server with the right history can continue from
                return;
            }
            delegate.set(saved, null);
            saved.values().stream().filter(value -> value != null).findFirst().ifPresent(value -> gate
                    .positionSaved(StandardCharsets.UTF_8.decode(value.duplicate()).toString()));
        });
        if (callback != null) {
            callback.onCompletion(null, null);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return delegate.connectorPartitions(connectorName);
    }
}
