package dev.cacheinvalidation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.EnvOrFilePropertiesFunction;
import dev.cacheinvalidation.health.ProcessEnd;
import dev.cacheinvalidation.recovery.Redrive;
import dev.cacheinvalidation.recovery.Replay;
import dev.cacheinvalidation.recovery.Validate;
import org.apache.camel.CamelContext;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar cache-invalidation.jar [all|pipeline|worker]}: runs the routes in {@code routes/} with the
 * settings of {@code application.properties} in the working directory. {@code pipeline} runs only the binlog to
 * stream route, {@code worker} only the invalidation worker, {@code all} (the default) both; {@code replay} and
 * {@code redrive} are one-off commands that invalidate again ({@link Replay}, {@link Redrive}), {@code validate}
 * tries the key script without servers ({@link Validate}); {@code train} is the
 * workload of a JVM training run for the ahead-of-time cache ({@code scripts/run.sh} and the Docker image use it).
 */
public final class Application {

    /** Which routes a process runs. */
    public enum Role {
        ALL(PIPELINE_ROUTES, WORKER_ROUTES),
        PIPELINE(PIPELINE_ROUTES),
        WORKER(WORKER_ROUTES),
        /** Every route built but none started, and the script over synthetic batches: see {@link TrainingRun}. */
        TRAIN(PIPELINE_ROUTES, WORKER_ROUTES),
        /** The dead letters through the current script into the stream, then exit: see {@link Redrive}. */
        REDRIVE(PIPELINE_ROUTES),
        /** What changed since a time invalidated again, beside the running pipeline, then exit: see {@link Replay}. */
        REPLAY(PIPELINE_ROUTES),
        /** The key script over given or sample events, keys printed, no server: see {@link Validate}. */
        VALIDATE();

        /** The route files the role needs. */
        final String[] files;

        Role(String... files) {
            this.files = files;
        }

        /** What Camel Main loads: every route file for {@code all}, so that routes users add are run too. */
        public String routesIncludePattern() {
            if (files.length == 0) {
                return ""; // Camel's default, which finds no route of ours
            }
            return this == ALL || this == TRAIN ? "file:routes/*.camel.yaml" : "file:" + files[0];
        }
    }

    /** The settings: {@code application.properties} of the working directory. */
    public static final String PROPERTIES_LOCATION = "file:application.properties;optional=true";
    private static final String PIPELINE_ROUTES = "routes/cdc-to-stream.camel.yaml";
    private static final String WORKER_ROUTES = "routes/invalidation-worker.camel.yaml";

    private Application() {
    }

    /**
     * After an OutOfMemoryError any thread may have died half way; only a restart, which replays from the saved
     * position, is safe. Every launcher of ours sets the option; a JVM started without it gets a warning.
     */
    static void warnUnlessOutOfMemoryEndsTheProcess() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean vm = java.lang.management.ManagementFactory
                    .getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            boolean exits = "true".equals(vm.getVMOption("ExitOnOutOfMemoryError").getValue())
                    || "true".equals(vm.getVMOption("CrashOnOutOfMemoryError").getValue());
            if (!exits) {
                LoggerFactory.getLogger(Application.class).warn("Started without -XX:+ExitOnOutOfMemoryError: after an"
                        + " OutOfMemoryError the process would run on half alive instead of ending and replaying");
            }
        } catch (RuntimeException e) {
            // not a HotSpot JVM: nothing to check
        }
    }

    /**
     * Camel Main set up for a role, not started: the role's routes of {@code routes/}, {@code application.properties}
     * of the working directory, and the start-up warm-ups. {@code java -jar} runs it, and so do the tests that run
     * the application in their own JVM.
     */
    public static Main camelMain(Role role) {
        // no classpath scanning: our component and properties function are found by their service files
        Main main = new Main();
        if (role == Role.PIPELINE || role == Role.ALL) {
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void beforeConfigure(BaseMainSupport support) {
                    DdlParserPreload.start(support.getCamelContext());
                }
            });
        }
        main.configure().setBasePackageScanEnabled(false);
        main.setPropertyPlaceholderLocations(PROPERTIES_LOCATION);
        if (!role.routesIncludePattern().isEmpty()) {
            main.addOverrideProperty("camel.main.routesIncludePattern", role.routesIncludePattern());
        }
        if (role == Role.TRAIN) {
            TrainingRun.prepare(main);
        }
        if (role == Role.REDRIVE) {
            Redrive.prepare(main);
        }
        return main;
    }

    /**
     * Seals the settings of this Camel Main from the process: neither its environment variables nor its system
     * properties override {@code application.properties}, and {@code {{envOrFile:}}} sees an empty environment, so
     * only the file and the overrides the caller adds count. The training run and the tests run the application
     * this way: a {@code REDIS_URI} exported in the shell that runs the build must never send a test's events to
     * that Redis.
     */
    public static void sealFromProcess(Main main) {
        main.configure().setAutoConfigurationEnvironmentVariablesEnabled(false);
        main.configure().setAutoConfigurationSystemPropertiesEnabled(false);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeInitialize(BaseMainSupport support) {
                sealFromProcess(support.getCamelContext());
            }
        });
    }

    /** The same for a context's properties, before anything reads them (Camel's test support makes its own Main). */
    public static void sealFromProcess(CamelContext context) {
        PropertiesComponent properties = (PropertiesComponent) context.getPropertiesComponent();
        properties.setEnvironmentVariableMode(PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_NEVER);
        properties.setSystemPropertiesMode(PropertiesComponent.SYSTEM_PROPERTIES_MODE_NEVER);
        properties.addPropertiesFunction(new EnvOrFilePropertiesFunction(Map.of()));
    }

    public static void main(String[] args) throws Exception {
        // before anything uses java.util.logging (the binlog client does): its records go to log4j like all others
        System.setProperty("java.util.logging.manager", "org.apache.logging.log4j.jul.LogManager");
        Role role = Role.ALL;
        String[] rest = args;
        if (args.length > 0 && !args[0].startsWith("-")) {
            try {
                role = Role.valueOf(args[0].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                System.err.println("cache-invalidation: unknown role '" + args[0] + "': use all, pipeline, worker,"
                        + " replay, redrive, validate or train");
                System.exit(2);
            }
            rest = Arrays.copyOfRange(args, 1, args.length);
        }
        for (String file : role.files) {
            if (!Files.isRegularFile(Path.of(file))) {
                System.err.println("cache-invalidation: configuration error: " + file + " not found in "
                        + Path.of("").toAbsolutePath() + ": run from the directory that holds routes/ and"
                        + " application.properties");
                System.exit(2);
            }
        }
        // logging set up on this thread first: loggers asked for by two threads during its set-up lose lines
        LoggerFactory.getLogger(Application.class);
        warnUnlessOutOfMemoryEndsTheProcess();
        Main main = camelMain(role);
        ProcessEnd end = new ProcessEnd(main::completed);
        main.bind("processEnd", end);
        try {
            if (role == Role.REPLAY) {
                rest = Replay.prepare(main, rest);
            }
            if (role == Role.VALIDATE) {
                rest = Validate.prepare(main, rest, System.out);
            }
            System.exit(end.exitCode(main.run(rest)));
        } catch (Exception e) {
            ConfigurationException problem = configurationProblem(e);
            if (problem == null) {
                throw e;
            }
            System.err.println("cache-invalidation: configuration error: " + problem.getMessage());
            System.exit(2);
        }
    }

    private static ConfigurationException configurationProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigurationException c) {
                return c;
            }
        }
        return null;
    }
}
