package dev.cacheinvalidation.js;

import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.HostAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.io.IOAccess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GraalJS engine the scripts of one running pipeline share: its contexts share the parsed code (and, with the
 * Graal JIT, the compiled code). Built once by its owner (the script step) and closed when the owner stops.
 */
public final class JavaScriptEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JavaScriptEngine.class);

    private final Engine engine;

    public JavaScriptEngine() {
        engine = Engine.newBuilder("js")
                .option("engine.WarnInterpreterOnly", "false")
                .build();
        // the Truffle runtime is "Interpreted" unless a JVMCI compiler is there to compile scripts to machine code
        String runtime = engine.getImplementationName();
        if (!"Interpreted".equals(runtime)) {
            LOG.info("GraalJS {} on {}: scripts are compiled by the Graal JIT", engine.getVersion(), runtime);
        } else {
            LOG.info("GraalJS {}: scripts are interpreted (on Java 21+, java @target/graal.args compiles them)",
                    engine.getVersion());
        }
    }

    /** A context on this engine with plain JavaScript only: no host classes, files, network, threads or processes. */
    Context.Builder sandbox() {
        return Context.newBuilder("js")
                .engine(engine)
                .allowHostAccess(HostAccess.NONE)
                .allowHostClassLookup(name -> false)
                .allowIO(IOAccess.NONE)
                .allowCreateThread(false)
                .allowCreateProcess(false)
                .allowNativeAccess(false)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .allowEnvironmentAccess(EnvironmentAccess.NONE);
    }

    /**
     * Loads the classes of a JavaScript realm and of JSON parsing with a throwaway context, so that the first real
     * context opens in a fraction of the time. A failure here only costs that time.
     */
    public JavaScriptEngine warmedUp() {
        try (Context warm = sandbox().build()) {
            warm.eval("js", "JSON.stringify(JSON.parse('[{\"a\":[1]}]').map(e => `${e.a.length}`))");
        } catch (RuntimeException e) {
            LOG.debug("Warming the JavaScript engine up failed; the script loads without it", e);
        }
        return this;
    }

    @Override
    public void close() {
        engine.close(true);
    }
}
