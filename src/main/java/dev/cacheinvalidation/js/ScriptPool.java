package dev.cacheinvalidation.js;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The contexts of one version of the script, each a {@link ScriptRuntime} used by one thread at a time. It opens
 * one as it is made (so a script that does not load is refused then) and another whenever every one is in use, so
 * it holds as many as threads call the script at once: the writer route's consumers ({@code script.contexts}). A
 * retired pool (the script was reloaded, or the step stopped) closes its runtimes as they come back, never one in
 * use.
 */
final class ScriptPool {

    private final JavaScriptEngine engine;
    private final List<Path> scriptFiles;
    private final long timeoutMs;
    private final long memMb;
    private final Deque<ScriptRuntime> idle = new ArrayDeque<>();
    private boolean retired;

    ScriptPool(JavaScriptEngine engine, List<Path> scriptFiles, long timeoutMs, long memMb) {
        this.engine = engine;
        this.scriptFiles = scriptFiles;
        this.timeoutMs = timeoutMs;
        this.memMb = memMb;
        idle.add(open());
    }

    private ScriptRuntime open() {
        return new ScriptRuntime(engine, scriptFiles, timeoutMs, memMb);
    }

    /** A runtime of this version for the calling thread: an idle one, or a new one while all are in use. */
    ScriptRuntime take() {
        synchronized (this) {
            ScriptRuntime runtime = idle.pollFirst();
            if (runtime != null) {
                return runtime;
            }
        }
        return open();
    }

    void giveBack(ScriptRuntime runtime) {
        synchronized (this) {
            if (!retired) {
                idle.addFirst(runtime);
                return;
            }
        }
        runtime.close();
    }

    /** Closes the idle runtimes now and the others as they are given back. */
    void retire() {
        List<ScriptRuntime> closing;
        synchronized (this) {
            retired = true;
            closing = new ArrayList<>(idle);
            idle.clear();
        }
        closing.forEach(ScriptRuntime::close);
    }
}
