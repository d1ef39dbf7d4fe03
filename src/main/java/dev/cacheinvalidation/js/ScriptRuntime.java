package dev.cacheinvalidation.js;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.config.ConfigurationException;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the user's {@code processBatch(events)} in one context of a GraalJS engine, the script files parsed once. Events cross
 * the border as one JSON text each way: JSON.parse and JSON.stringify inside the engine are far cheaper than
 * converting Java objects member by member, and the stream wants JSON anyway.
 * <p>
 * The script gets plain JavaScript: no host classes, files, network, environment, threads or processes;
 * {@code console.log} goes to the application log. A call that runs longer than the timeout is cancelled.
 * Not thread-safe: one batch at a time, which is how the pipeline calls it.
 */
public final class ScriptRuntime implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScriptRuntime.class);
    private static final Logger CONSOLE = LoggerFactory.getLogger("dev.cacheinvalidation.js.console");

    /**
     * Wraps processBatch: JSON text in, the returned events as one JSON array text out. One JSON.stringify for the
     * whole array costs a third less than one per event; {@link JsonArrayText} cuts it into the events' texts.
     */
    private static final Source ADAPTER = Source.create("js", """
            (function (processBatch) {
              return function (json) {
                const out = processBatch(JSON.parse(json));
                if (!Array.isArray(out)) {
                  throw new TypeError('processBatch must return an array of events, it returned '
                      + (out === null ? 'null' : typeof out));
                }
                for (let i = 0; i < out.length; i++) {
                  const e = out[i];
                  if (e === null || typeof e !== 'object' || typeof e.table !== 'string' || typeof e.op !== 'string') {
                    throw new TypeError('processBatch returned an element at index ' + i
                        + ' that is not an event (an object with string op and table)');
                  }
                }
                const text = JSON.stringify(out);
                if (typeof text !== 'string' || text.charAt(0) !== '[') {
                  throw new TypeError('processBatch returned an array whose JSON text is not an array'
                      + ' (a toJSON method?)');
                }
                return text;
              };
            })
            """);

    private static final long WATCH_INTERVAL_MS = 5;
    private static final long COLD_FACTOR = 10;
    private static final long MB = 1024 * 1024;
    private static final com.sun.management.ThreadMXBean THREADS = threadBean();

    private final JavaScriptEngine engine;
    /** The engine this runtime built for itself and closes with it; null when it runs on its owner's. */
    private final JavaScriptEngine ownEngine;
    private final List<Path> scriptFiles;
    private final String scriptNames;
    private final List<Source> scripts;
    private final long timeoutMs;
    /** Most a call may allocate, in MB (script.memMb); 0: no limit. */
    private final long memMb;
    private final ScheduledExecutorService watchdog;
    private Context context;
    private Value adapter;
    /** The first call after loading also warms the engine up, so it gets more time. */
    private boolean cold;

    /** The files of {@code script.file}: one path, or several separated by commas, in the order they load. */
    public static List<Path> files(String commaSeparated) {
        List<Path> files = new ArrayList<>();
        for (String name : commaSeparated.split(",")) {
            if (!name.isBlank()) {
                files.add(Path.of(name.trim()));
            }
        }
        return files;
    }

    /** One script on an engine of its own, without a memory limit. */
    public ScriptRuntime(Path scriptFile, long timeoutMs) {
        this(scriptFile, timeoutMs, 0);
    }

    /** One script on an engine of its own. */
    public ScriptRuntime(Path scriptFile, long timeoutMs, long memMb) {
        this(null, List.of(scriptFile), timeoutMs, memMb);
    }

    /**
     * @param engine      the engine to run on; null for one of its own, closed with this runtime
     * @param scriptFiles evaluated in this order into one context; the last processBatch defined is called
     * @param timeoutMs   longest a processBatch call may run
     * @param memMb       most a processBatch call may allocate; 0 for no limit
     */
    public ScriptRuntime(JavaScriptEngine engine, List<Path> scriptFiles, long timeoutMs, long memMb) {
        if (scriptFiles.isEmpty()) {
            throw new ConfigurationException("no script file given: set script.file to your .js file(s)");
        }
        this.scriptFiles = List.copyOf(scriptFiles);
        this.scriptNames = String.join(",", this.scriptFiles.stream().map(Path::toString).toList());
        this.timeoutMs = timeoutMs;
        this.memMb = memMb;
        this.scripts = this.scriptFiles.stream().map(ScriptRuntime::load).toList();
        this.ownEngine = engine == null ? new JavaScriptEngine() : null;
        this.engine = engine == null ? ownEngine : engine;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "script-watchdog");
            t.setDaemon(true);
            return t;
        });
        open();
    }

    private static Source load(Path file) {
        try {
            return Source.newBuilder("js", Files.readString(file), file.toString()).build();
        } catch (NoSuchFileException e) {
            throw new ConfigurationException("script file " + file + " does not exist: set script.file to your .js file");
        } catch (IOException e) {
            throw new ConfigurationException("cannot read script file " + file + ": " + e.getMessage(), e);
        }
    }

    private void open() {
        Context ctx = engine.sandbox()
                .out(new LogStream())
                .err(new LogStream())
                .build();
        Call load = watch(ctx, Math.max(10_000, COLD_FACTOR * timeoutMs), memMb * MB);
        try {
            for (Source script : scripts) {
                ctx.eval(script);
            }
            load.finish();
            Value processBatch = ctx.getBindings("js").getMember("processBatch");
            if (processBatch == null || !processBatch.canExecute()) {
                throw new ConfigurationException("script " + scriptNames + " defines no function processBatch(events)");
            }
            adapter = ctx.eval(ADAPTER).execute(processBatch);
            context = ctx;
            cold = true;
        } catch (PolyglotException e) {
            load.finish();
            ctx.close(true);
            throw new ConfigurationException("script " + (load.stopped != null ? scriptNames + " " + load.stopped
                    + " while loading" : describe(e)), e);
        } catch (RuntimeException e) {
            load.finish();
            ctx.close(true);
            throw e;
        }
    }

    /**
     * Calls processBatch with the events (a JSON array) and returns the JSON text of each event it returned.
     *
     * @throws ScriptFailure     when the script throws, runs out of time or over its own memory limit, or returns
     *                           something that is not events
     * @throws OutOfMemoryError when the JVM itself runs out of memory: not the script's failure
     */
    public List<String> processBatch(String eventsJson) {
        return processBatch(eventsJson, 1);
    }

    /**
     * The same for a batch {@code scale} times the size the limits are meant for (a slice of a large transaction):
     * it gets {@code scale} times the time and the allocation.
     */
    public List<String> processBatch(String eventsJson, int scale) {
        int factor = Math.max(1, scale);
        Call call = watch(context, (cold ? COLD_FACTOR * timeoutMs : timeoutMs) * factor, memMb * MB * factor);
        cold = false;
        try {
            String events = adapter.execute(eventsJson).asString();
            call.finish();
            return eventTexts(events);
        } catch (PolyglotException e) {
            call.finish();
            if (call.stopped != null || e.isCancelled()) {
                reopen();
                call.reported = true;
                throw new ScriptFailure("script " + scriptNames + " " + (call.stopped != null ? call.stopped : "was cancelled"), e);
            }
            if (e.isResourceExhausted() && !e.isGuestException()) {
                // the JVM's heap, not the script's own limit: a resource failure, never a reason to dead-letter
                OutOfMemoryError jvmOutOfMemory = new OutOfMemoryError("the JVM ran out of memory while script "
                        + scriptNames + " ran: " + e.getMessage());
                jvmOutOfMemory.initCause(e);
                throw jvmOutOfMemory;
            }
            if (e.isInternalError()) {
                reopen();
            }
            throw new ScriptFailure("script " + describe(e), e);
        } catch (IllegalStateException e) {
            // the context was closed by the watchdog before the call could start
            call.finish();
            call.reported = true;
            reopen();
            throw new ScriptFailure("script " + scriptNames + " " + call.stopped, e);
        } finally {
            call.finish();
            if (call.stopped != null && !call.reported) {
                // stopped just as the call returned: the result stands, the context needs renewing
                reopen();
            }
        }
    }

    /** The texts of the returned events; an element that a toJSON method turned into something else fails. */
    private List<String> eventTexts(String array) {
        List<String> texts = JsonArrayText.elements(array);
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).charAt(0) != '{') {
                throw new ScriptFailure("script " + scriptNames + " returned an element at index " + i
                        + " whose JSON text is not an object (a toJSON method?)");
            }
        }
        return texts;
    }

    private Call watch(Context ctx, long limitMs, long limitBytes) {
        Call call = new Call(ctx, Thread.currentThread().getId(), limitMs, limitBytes);
        call.guard = watchdog.scheduleAtFixedRate(call::check, WATCH_INTERVAL_MS, WATCH_INTERVAL_MS, TimeUnit.MILLISECONDS);
        return call;
    }

    /**
     * One processBatch call under watch: cancelled when it runs longer than the timeout or when its thread has
     * allocated more than the memory limit since the call began. GraalJS community edition cannot cap the heap of
     * a context, so the bound is on what the call allocates (live or garbage), checked every few milliseconds.
     */
    private final class Call {
        private final Context running;
        private final long threadId;
        private final long startNanos = System.nanoTime();
        private final long startAllocated;
        private final long limitMs;
        private final long limitBytes;
        private ScheduledFuture<?> guard;
        private volatile String stopped;
        private boolean finished;
        private boolean reported;

        Call(Context running, long threadId, long limitMs, long limitBytes) {
            this.running = running;
            this.threadId = threadId;
            this.limitMs = limitMs;
            this.limitBytes = limitBytes;
            this.startAllocated = allocatedBy(threadId);
        }

        synchronized void finish() {
            if (!finished) {
                finished = true;
                guard.cancel(false);
            }
        }

        synchronized void check() {
            if (finished || stopped != null) {
                return;
            }
            long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
            long allocated = allocatedBy(threadId) - startAllocated;
            if (elapsedMs >= limitMs) {
                stop("did not return within " + limitMs + " ms");
            } else if (limitBytes > 0 && startAllocated >= 0 && allocated > limitBytes) {
                stop("allocated more than " + limitBytes / (1024 * 1024) + " MB in one call");
            }
        }

        private void stop(String why) {
            stopped = why;
            running.close(true);
        }
    }

    private static long allocatedBy(long threadId) {
        return THREADS != null ? THREADS.getThreadAllocatedBytes(threadId) : -1;
    }

    private void reopen() {
        try {
            context.close(true);
        } catch (RuntimeException ignored) {
            // already closed by the watchdog
        }
        open();
    }

    /** The error with the place in the user's script where it happened (file:line), when known. */
    private String describe(PolyglotException e) {
        String where = scriptNames;
        SourceSection at = e.getSourceLocation();
        if (at == null || !isUserScript(at)) {
            at = null;
            for (PolyglotException.StackFrame frame : e.getPolyglotStackTrace()) {
                SourceSection location = frame.getSourceLocation();
                if (frame.isGuestFrame() && location != null && isUserScript(location)) {
                    at = location;
                    break;
                }
            }
        }
        if (at != null) {
            where = at.getSource().getName() + ":" + at.getStartLine();
        }
        return where + ": " + e.getMessage();
    }

    private boolean isUserScript(SourceSection section) {
        if (section.getSource() == null) {
            return false;
        }
        String name = section.getSource().getName();
        for (Path file : scriptFiles) {
            if (file.toString().equals(name)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        if (context != null) {
            context.close(true);
        }
        if (ownEngine != null) {
            ownEngine.close();
        }
    }

    /** Line-buffered output from console.log and friends into the application log. */
    private static final class LogStream extends OutputStream {
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                flushLine();
            } else {
                line.write(b);
            }
        }

        @Override
        public synchronized void flush() {
            if (line.size() > 0) {
                flushLine();
            }
        }

        private void flushLine() {
            CONSOLE.info(line.toString(StandardCharsets.UTF_8));
            line.reset();
        }
    }

    private static com.sun.management.ThreadMXBean threadBean() {
        if (java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported()) {
            bean.setThreadAllocatedMemoryEnabled(true);
            return bean;
        }
        LOG.warn("This JVM cannot measure allocation per thread: the script memory limit is not enforced");
        return null;
    }
}
