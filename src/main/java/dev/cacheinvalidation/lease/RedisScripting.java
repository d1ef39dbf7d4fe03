package dev.cacheinvalidation.lease;

import java.util.List;

import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The two Redis commands the lease protocol needs, so that any client can run it: {@link #of(UnifiedJedis)} covers
 * Jedis' pooled, cluster and sentinel clients ({@code JedisPooled}, {@code RedisClient}, {@code RedisClusterClient},
 * {@code JedisSentineled}).
 */
public interface RedisScripting {

    /**
     * EVALSHA of a script on one key.
     *
     * @throws ScriptNotLoadedException when the server that owns the key does not know the script (NOSCRIPT)
     */
    Object evalsha(String sha1, String key, List<String> args);

    /** SCRIPT LOAD on the server that owns the key. */
    void scriptLoad(String script, String key);

    /** Thrown by {@link #evalsha} on NOSCRIPT: a restarted or failed-over server, or one never told the script. */
    final class ScriptNotLoadedException extends RuntimeException {
        public ScriptNotLoadedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static RedisScripting of(UnifiedJedis redis) {
        return new RedisScripting() {
            @Override
            public Object evalsha(String sha1, String key, List<String> args) {
                try {
                    return redis.evalsha(sha1, List.of(key), args);
                } catch (JedisNoScriptException e) {
                    throw new ScriptNotLoadedException(e.getMessage(), e);
                }
            }

            @Override
            public void scriptLoad(String script, String key) {
                redis.scriptLoad(script, key);
            }
        };
    }
}
