package dev.cacheinvalidation.js;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The contexts of one version of the script, each a {@link ScriptRuntime} used by one thread at a time. A retired
 * pool (the script was reloaded, or the step stopped) closes its runtimes as they come back, never one in use.
 */
final class ScriptPool {

    private final BlockingQueue<ScriptRuntime> idle;
    private boolean retired;

    ScriptPool(JavaScriptEngine engine, List<Path> scriptFiles, int contexts, long timeoutMs, long memLimitMb) {
        idle = new ArrayBlockingQueue<>(contexts);
        List<ScriptRuntime> opened = new ArrayList<>(contexts);
        try {
            for (int i = 0; i < contexts; i++) {
                opened.add(new ScriptRuntime(engine, scriptFiles, timeoutMs, memLimitMb));
            }
        } catch (RuntimeException e) {
            opened.forEach(ScriptRuntime::close);
            throw e;
        }
        idle.addAll(opened);
    }

    /** A runtime of this version for the calling thread; waits while all are in use. */
    ScriptRuntime take() {
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a script context", e);
        }
    }

    void giveBack(ScriptRuntime runtime) {
        synchronized (this) {
            if (!retired) {
                idle.add(runtime);
                return;
            }
        }
        runtime.close();
    }

    /** Closes the idle runtimes now and the others as they are given back. */
    void retire() {
        List<ScriptRuntime> closing = new ArrayList<>();
        synchronized (this) {
            retired = true;
            idle.drainTo(closing);
        }
        closing.forEach(ScriptRuntime::close);
    }
}
