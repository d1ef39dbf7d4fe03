package dev.cacheinvalidation.pipelinefile;

import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.EnvOrFilePropertiesFunction;

/**
 * {@code ${VAR}} in a value of the pipeline file: the environment variable {@code VAR}, else the content of the file
 * {@code VAR_FILE} names (as {@code {{envOrFile:}}} reads it). DeltaForge expands the whole text before it parses
 * it; here values are expanded one by one after parsing, so the line of every problem is the file's own.
 */
final class Placeholders {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final EnvOrFilePropertiesFunction environment;

    Placeholders(Map<String, String> environment) {
        this.environment = new EnvOrFilePropertiesFunction(environment);
    }

    /** The value with its variables replaced; null when one could not be (each reported to {@code problem}). */
    String expand(String value, Consumer<String> problem) {
        Matcher placeholder = PLACEHOLDER.matcher(value);
        StringBuilder expanded = new StringBuilder();
        boolean complete = true;
        while (placeholder.find()) {
            String variable = placeholder.group(1);
            String replacement = null;
            if (!NAME.matcher(variable).matches()) {
                problem.accept("${" + variable + "}: templates are not supported, only ${VARIABLE} of the environment");
            } else {
                try {
                    replacement = environment.apply(variable);
                    if (replacement == null) {
                        problem.accept("${" + variable + "}: " + variable + " is not set (export " + variable + ", or "
                                + variable + "_FILE naming a file that holds it)");
                    }
                } catch (ConfigurationException e) {
                    problem.accept("${" + variable + "}: " + e.getMessage());
                }
            }
            complete &= replacement != null;
            placeholder.appendReplacement(expanded, Matcher.quoteReplacement(replacement == null ? "" : replacement));
        }
        placeholder.appendTail(expanded);
        return complete ? expanded.toString() : null;
    }
}
