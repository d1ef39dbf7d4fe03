package dev.cacheinvalidation.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.camel.spi.PropertiesFunction;

/**
 * The {@code {{envOrFile:NAME:default}}} placeholder: the environment variable {@code NAME}; else the content of
 * the file that {@code NAME_FILE} names (trimmed), the way container secrets are mounted
 * ({@code MYSQL_DSN_FILE=/run/secrets/mysql_dsn}), so a password need not sit in the environment; else the
 * default.
 */
@org.apache.camel.spi.annotations.PropertiesFunction("envOrFile")
public class EnvOrFilePropertiesFunction implements PropertiesFunction {

    private final Map<String, String> environment;

    public EnvOrFilePropertiesFunction() {
        this(System.getenv());
    }

    /** Reads {@code environment} instead of the process's ({@link dev.cacheinvalidation.Application#sealFromProcess}). */
    public EnvOrFilePropertiesFunction(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public String getName() {
        return "envOrFile";
    }

    @Override
    public String apply(String remainder) {
        int colon = remainder.indexOf(':');
        String name = (colon < 0 ? remainder : remainder.substring(0, colon)).trim();
        String fallback = colon < 0 ? null : remainder.substring(colon + 1);
        String value = environment.get(name);
        if (value != null && !value.isEmpty()) {
            return value;
        }
        String file = environment.get(name + "_FILE");
        if (file != null && !file.isEmpty()) {
            try {
                return Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new ConfigurationException(name + "_FILE names " + file + ", which cannot be read ("
                        + e.getClass().getSimpleName() + ")");
            }
        }
        return fallback;
    }
}
