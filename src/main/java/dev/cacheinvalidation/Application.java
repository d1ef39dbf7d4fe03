package dev.cacheinvalidation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.config.EnvOrFilePropertiesFunction;
import dev.cacheinvalidation.config.SettingsCheck;
import dev.cacheinvalidation.health.ProcessEnd;
import dev.cacheinvalidation.pipelinefile.PipelineFile;
import dev.cacheinvalidation.pipelinefile.PipelineFilePropertiesSource;
import dev.cacheinvalidation.pipelinefile.PipelineSettings;
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
 * {@code java -jar cache-invalidation.jar [all|pipeline|worker] [--pipeline FILE]...}: runs the routes in
 * {@code routes/} with the settings of {@code application.properties} in the working directory, each checked before
 * anything is built ({@link SettingsCheck}); with a DeltaForge pipeline file ({@code --pipeline FILE} or
 * {@code PIPELINE_FILE}, see {@link PipelineFile}) its settings replace theirs, and the jar's copies of both stand in
 * for those the working directory lacks; several files are several pipelines in one process
 * ({@link SeveralPipelines}). {@code pipeline} runs only the binlog to
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
            return routesIncludePattern(false);
        }

        /** The same, or the role's routes as the jar has them ({@link Sources#packagedRoutes}). */
        public String routesIncludePattern(boolean packaged) {
            if (files.length == 0) {
                return ""; // Camel's default, which finds no route of ours
            }
            if (packaged) {
                return Arrays.stream(files).map(file -> "classpath:" + PACKAGED + file).collect(Collectors.joining(","));
            }
            return this == ALL || this == TRAIN ? "file:routes/*.camel.yaml" : "file:" + files[0];
        }
    }

    /**
     * Where the routes and settings come from: the working directory's {@code routes/} and
     * {@code application.properties}, or the jar's copies of them. Without a pipeline file always the working
     * directory's (a start elsewhere is refused); with one, the jar's stand in for whichever of the two the working
     * directory lacks, so that a pipeline file alone is enough to start.
     */
    public record Sources(boolean packagedRoutes, boolean packagedProperties) {

        public static final Sources WORKING_DIRECTORY = new Sources(false, false);

        static Sources forPipelineFile(Role role) {
            boolean routes = Arrays.stream(role.files).allMatch(file -> Files.isRegularFile(Path.of(file)));
            return new Sources(!routes, !Files.isRegularFile(Path.of("application.properties")));
        }
    }

    /** The settings: {@code application.properties} of the working directory. */
    public static final String PROPERTIES_LOCATION = "file:application.properties;optional=true";
    /**
     * Where the jar holds its copies of {@code routes/} and {@code application.properties}: a directory of its own,
     * not the class path's root or {@code camel/}, where Camel Main, Camel JBang and Camel K would find them by
     * themselves when the jar is a dependency.
     */
    public static final String PACKAGED = "cache-invalidation/";
    static final String PACKAGED_PROPERTIES_LOCATION = "classpath:" + PACKAGED + "application.properties";
    /** The default script files, as {@code script.file} of application.properties names them. */
    static final List<String> DEFAULT_SCRIPTS = List.of("routes/cache-keys.js", "routes/table-keys.js");
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
        return camelMain(role, Sources.WORKING_DIRECTORY);
    }

    /** The same with the routes and settings of {@code sources}. */
    public static Main camelMain(Role role, Sources sources) {
        // no classpath scanning: our component and properties function are found by their service files
        Main main = new Main();
        if (role != Role.TRAIN) {
            // every setting checked before a route or bean is built: a bad value stops the start with one line
            // a worker alone runs no script: the script's files need not be there
            main.addMainListener(SettingsCheck.beforeConfigure(role == Role.WORKER ? Set.of("script.file") : Set.of()));
        }
        if (role == Role.PIPELINE || role == Role.ALL) {
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void beforeConfigure(BaseMainSupport support) {
                    DdlParserPreload.start(support.getCamelContext());
                }
            });
        }
        main.configure().setBasePackageScanEnabled(false);
        // this launcher applies a pipeline file itself (usePipelineFile, SeveralPipelines): the bean camel run uses gets none
        main.addOverrideProperty(PipelineFilePropertiesSource.FILE_SETTING, PipelineFilePropertiesSource.NO_FILE);
        main.setPropertyPlaceholderLocations(sources.packagedProperties() ? PACKAGED_PROPERTIES_LOCATION
                : PROPERTIES_LOCATION);
        String routes = role.routesIncludePattern(sources.packagedRoutes());
        if (!routes.isEmpty()) {
            main.addOverrideProperty("camel.main.routesIncludePattern", routes);
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
        PipelineFile pipeline = null;
        try {
            // the training run reads no settings: a PIPELINE_FILE of the environment its launcher runs in is not
            // for it, and it is given no file
            PipelineFile.Choice choice = PipelineFile.choose(rest, role == Role.TRAIN ? Map.of() : System.getenv());
            rest = choice.rest();
            if (choice.file() != null && role == Role.TRAIN) {
                throw new ConfigurationException("train takes no pipeline file: the training run reads no settings");
            }
            if (choice.files().size() > 1) {
                System.exit(SeveralPipelines.run(role, choice.files(), rest));
            }
            if (choice.file() != null) {
                pipeline = PipelineFile.load(choice.file(), System.getenv());
            }
        } catch (ConfigurationException e) {
            System.err.println("cache-invalidation: configuration error: " + e.getMessage());
            System.exit(2);
        }
        Sources sources = pipeline == null ? Sources.WORKING_DIRECTORY : Sources.forPipelineFile(role);
        for (String file : sources.packagedRoutes() ? new String[0] : role.files) {
            if (!Files.isRegularFile(Path.of(file))) {
                System.err.println("cache-invalidation: configuration error: " + file + " not found in "
                        + Path.of("").toAbsolutePath() + ": run from the directory that holds routes/ and"
                        + " application.properties, or start with " + PipelineFile.OPTION + " FILE");
                System.exit(2);
            }
        }
        // logging set up on this thread first: loggers asked for by two threads during its set-up lose lines
        LoggerFactory.getLogger(Application.class);
        warnUnlessOutOfMemoryEndsTheProcess();
        if (pipeline != null) {
            try {
                usePipelineFile(pipeline, sources);
            } catch (ConfigurationException | IOException e) {
                System.err.println("cache-invalidation: configuration error: " + e.getMessage());
                System.exit(2);
            }
        }
        Main main = camelMain(role, sources);
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

    /**
     * Makes the pipeline file's settings this process's, as system properties: Camel ranks them above
     * application.properties, the environment variables that override its keys and Camel Main's own overrides, so
     * what the file says wins ({@code replay} gives its own keys the same rank after this).
     */
    static void usePipelineFile(PipelineFile pipeline, Sources sources) throws IOException {
        org.slf4j.Logger log = LoggerFactory.getLogger(Application.class);
        Map<String, String> settings = pipelineSettings(pipeline, sources);
        settings.forEach((key, value) -> {
            // Camel's override of a key from the environment: batch.maxEvents by BATCH_MAXEVENTS
            String variable = key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
            if (System.getProperty(key) != null && !System.getProperty(key).equals(value)) {
                log.warn("-D{} is replaced by the pipeline file's value", key);
            } else if (System.getenv(variable) != null && !System.getenv(variable).equals(value)) {
                log.warn("{} of the environment is replaced by the pipeline file's value of {}", variable, key);
            }
        });
        settings.forEach(System::setProperty);
    }

    /**
     * The pipeline file's settings, with {@code script.file} ({@link PipelineSettings}): where the settings are the
     * jar's and the working directory lacks the default script files, the jar's copies of them stand in for a script
     * the file does not have.
     */
    static Map<String, String> pipelineSettings(PipelineFile pipeline, Sources sources) throws IOException {
        boolean defaultScripts = DEFAULT_SCRIPTS.stream().allMatch(file -> Files.isRegularFile(Path.of(file)));
        List<String> jarScripts = sources.packagedProperties() && !defaultScripts ? DEFAULT_SCRIPTS : List.of();
        return PipelineSettings.of(pipeline, PACKAGED, jarScripts, sources.packagedRoutes()
                || sources.packagedProperties() ? "; the jar's "
                        + (sources.packagedRoutes() ? "routes" + (sources.packagedProperties() ? " and " : "") : "")
                        + (sources.packagedProperties() ? "application.properties" : "")
                        + " (not in the working directory)" : "");
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
