package dev.cacheinvalidation.lease;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** What lease-get answered: the cached value, a lease to fill the key, or that another caller holds the lease. */
public sealed interface LeaseReply {

    record Hit(String value) implements LeaseReply {
    }

    record Lease(String token) implements LeaseReply {
    }

    record Busy() implements LeaseReply {
    }

    /** Reads the script's two-element array reply. */
    static LeaseReply parse(Object reply) {
        if (!(reply instanceof List<?> parts) || parts.size() != 2) {
            throw new IllegalStateException("lease-get replied " + reply + ", not a two-element array");
        }
        String kind = text(parts.get(0));
        String payload = text(parts.get(1));
        return switch (kind) {
            case "hit" -> new Hit(payload);
            case "lease" -> new Lease(payload);
            case "busy" -> new Busy();
            default -> throw new IllegalStateException("lease-get replied " + kind + ", not hit, lease or busy");
        };
    }

    private static String text(Object part) {
        if (part instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return part == null ? "" : part.toString();
    }
}
