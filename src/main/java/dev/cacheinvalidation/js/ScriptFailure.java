package dev.cacheinvalidation.js;

/** The user's script failed on a batch: it threw, timed out, or returned something that is not an event array. */
public class ScriptFailure extends RuntimeException {

    public ScriptFailure(String message) {
        super(message);
    }

    public ScriptFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
