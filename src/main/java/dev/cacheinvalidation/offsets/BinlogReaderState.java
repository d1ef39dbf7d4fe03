package dev.cacheinvalidation.offsets;

import java.util.Optional;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gate knows of its binlog reader, from the offset store: whether it reads (from a position the server
 * accepted), the position saved last, and whether the server can continue from it. The first change of a run, and
 * the first from another origin server (a failover, or a reconnect that reached a server with another history),
 * has the server asked again before the change goes on; refused, no change of that server passes.
 */
final class BinlogReaderState {

    private static final Logger LOG = LoggerFactory.getLogger(BinlogReaderState.class);

    private volatile boolean reading;
    private volatile String refusal;
    private volatile String savedOffset;
    private volatile Supplier<Optional<String>> serverCheck;
    private Long lastServerId;

    /** The reader started from a position the server accepted (true), or its offset store stopped (false). */
    void reading(boolean reading) {
        this.reading = reading;
    }

    boolean reading() {
        return reading;
    }

    /** How the offset store asks the server whether it continues the saved position (null: never asked). */
    void serverCheck(Supplier<Optional<String>> check) {
        this.serverCheck = check;
        this.lastServerId = null;
    }

    /** A change of this origin server is about to pass: the server is asked first when it is new. */
    void changeFrom(Long serverId) {
        Supplier<Optional<String>> check = serverCheck;
        if (check == null || serverId == null || serverId.equals(lastServerId)) {
            return;
        }
        lastServerId = serverId;
        if (refusal == null) {
            check.get().ifPresent(this::refused);
        }
        if (refusal != null) {
            throw new IllegalStateException("a change of server " + serverId + " is not passed on: the server was refused");
        }
    }

    /** The server cannot continue from the saved position (why), or null: it can. */
    void refused(String why) {
        refusal = why;
        if (why != null) {
            LOG.debug("Refused: {}", why);
        }
    }

    String refusal() {
        return refusal;
    }

    void saved(String offset) {
        savedOffset = offset;
    }

    String savedOffset() {
        return savedOffset;
    }
}
