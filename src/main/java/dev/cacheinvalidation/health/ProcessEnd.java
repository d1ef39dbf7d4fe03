package dev.cacheinvalidation.health;

/**
 * Ends the process, where it is ours to end: the launcher ({@code java -jar}) binds one, which stops Camel Main
 * gracefully and exits with the code given. Run another way (camel run, a test's own Camel), there is none, and a
 * check that would end the process fails liveness instead, for the orchestrator to act on.
 */
public final class ProcessEnd {

    private final Runnable stop;
    private volatile int exitCode;

    public ProcessEnd(Runnable stop) {
        this.stop = stop;
    }

    /** Stops the application; the process then exits with {@code code}. */
    public void end(int code) {
        exitCode = code;
        stop.run();
    }

    /** The code to exit with once Camel Main has returned {@code mainExitCode}. */
    public int exitCode(int mainExitCode) {
        return exitCode != 0 ? exitCode : mainExitCode;
    }
}
