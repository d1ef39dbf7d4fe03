package dev.cacheinvalidation.config;

/**
 * A configuration problem the user has to fix. The message names the problem and the fix and never
 * contains a password.
 */
public class ConfigurationException extends RuntimeException {

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
