package dev.cacheinvalidation.recovery;

import dev.cacheinvalidation.health.ProcessEnd;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/** The end of a one-off command (redrive, replay, validate): the process ends with the command's exit code. */
final class OneOffCommand {

    /** What a command does once Camel is up; its exit code. */
    @FunctionalInterface
    interface Run {
        int exitCode(CamelContext context);
    }

    private OneOffCommand() {
    }

    /** Runs {@code command} once Camel has started, then ends the process with its exit code. */
    static void runAfterStart(Main main, Run command) {
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport support) {
                CamelContext context = support.getCamelContext();
                end(main, context, command.exitCode(context));
            }
        });
    }

    /**
     * Ends the process with {@code exitCode} where the application installed its {@link ProcessEnd}; else (Camel
     * Main in a test) completes Main.
     */
    static void end(Main main, CamelContext context, int exitCode) {
        ProcessEnd end = context.getRegistry().findSingleByType(ProcessEnd.class);
        if (end != null) {
            end.end(exitCode);
        } else {
            main.completed();
        }
    }
}
