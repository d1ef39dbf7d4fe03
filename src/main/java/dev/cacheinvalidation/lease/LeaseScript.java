package dev.cacheinvalidation.lease;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * One of the lease protocol's Lua scripts, read from the classpath ({@code lease/lease-get.lua},
 * {@code lease/lease-fill.lua}), run with EVALSHA and loaded into the server only when it answers NOSCRIPT.
 */
public record LeaseScript(String name, String source, String sha1) {

    public static final LeaseScript GET = fromClasspath("lease-get.lua");
    public static final LeaseScript FILL = fromClasspath("lease-fill.lua");

    /** Runs the script on {@code key}; on NOSCRIPT loads it into the key's server once and runs it again. */
    public Object run(RedisScripting redis, String key, List<String> args) {
        try {
            return redis.evalsha(sha1, key, args);
        } catch (RedisScripting.ScriptNotLoadedException e) {
            redis.scriptLoad(source, key);
            return redis.evalsha(sha1, key, args);
        }
    }

    static LeaseScript fromClasspath(String name) {
        String resource = "/lease/" + name;
        try (InputStream in = LeaseScript.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the lease script " + resource + " is not on the classpath");
            }
            String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new LeaseScript(name, source, sha1Of(source));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the lease script " + resource, e);
        }
    }

    /** The digest Redis names a script by (SCRIPT LOAD replies with the same). */
    static String sha1Of(String source) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(digest.digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }
}
