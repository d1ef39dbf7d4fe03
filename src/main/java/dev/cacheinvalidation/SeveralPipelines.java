package dev.cacheinvalidation;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import dev.cacheinvalidation.Application.Role;
import dev.cacheinvalidation.Application.Sources;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.health.ProcessEnd;
import dev.cacheinvalidation.pipelinefile.PipelineFile;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --pipeline A --pipeline B}: several pipeline files in one process, each its own Camel Main with its own
 * context, as two pipelines already run in one JVM. Each file's settings are its Main's overrides (nothing becomes a
 * system property, which all would share); what would collide is kept apart: the data directory is
 * {@code cdc.dataDir/<metadata.name>}, the replication server id is {@code cdc.serverId} plus the file's place on
 * the command line (0, 1, ...), and so is the HTTP port; two files naming the same pipeline or writing the same stream
 * are refused. The first pipeline that ends ends the others and the process, with its exit code.
 */
final class SeveralPipelines {

    private static final Logger LOG = LoggerFactory.getLogger(SeveralPipelines.class);

    private SeveralPipelines() {
    }

    /** Starts a Camel Main per file and waits for the first to end; the process's exit code. */
    static int run(Role role, List<Path> files, String[] rest) {
        if (role != Role.ALL && role != Role.PIPELINE && role != Role.WORKER) {
            throw new ConfigurationException(role.name().toLowerCase() + " takes one pipeline file: several run with"
                    + " all, pipeline or worker");
        }
        List<PipelineFile> pipelines = new ArrayList<>();
        for (Path file : files) {
            pipelines.add(PipelineFile.load(file, System.getenv()));
        }
        refuseCollisions(pipelines);
        Application.warnUnlessOutOfMemoryEndsTheProcess();
        Sources sources = Sources.forPipelineFile(role);
        Map<Integer, String> ports = new ConcurrentHashMap<>();
        List<Main> mains = new ArrayList<>();
        List<ProcessEnd> ends = new ArrayList<>();
        for (int i = 0; i < pipelines.size(); i++) {
            Main main = Application.camelMain(role, sources);
            try {
                Application.pipelineSettings(pipelines.get(i), sources).forEach(main::addOverrideProperty);
            } catch (IOException e) {
                throw new ConfigurationException("pipeline file " + pipelines.get(i).file() + ": its script cannot be"
                        + " written (" + e.getClass().getSimpleName() + ")");
            }
            main.addMainListener(keptApart(pipelines.get(i).name(), i));
            main.addMainListener(ownPort(pipelines.get(i).name(), ports));
            ProcessEnd end = new ProcessEnd(main::completed);
            main.bind("processEnd", end);
            mains.add(main);
            ends.add(end);
        }
        AtomicInteger exitCode = new AtomicInteger(-1);
        CountDownLatch firstEnded = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < mains.size(); i++) {
            Main main = mains.get(i);
            ProcessEnd end = ends.get(i);
            PipelineFile pipeline = pipelines.get(i);
            Thread thread = new Thread(() -> {
                int code;
                try {
                    code = end.exitCode(main.run(rest.clone()));
                } catch (Exception e) {
                    code = ended(pipeline, e);
                }
                exitCode.compareAndSet(-1, code);
                firstEnded.countDown();
            }, "pipeline-" + pipeline.name());
            thread.start();
            threads.add(thread);
        }
        try {
            firstEnded.await();
            mains.forEach(Main::completed);
            for (Thread thread : threads) {
                thread.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return exitCode.get();
    }

    /** Two files naming one pipeline (its saved position) or one stream are refused, naming both files. */
    static void refuseCollisions(List<PipelineFile> pipelines) {
        Map<String, PipelineFile> names = new LinkedHashMap<>();
        Map<String, PipelineFile> streams = new LinkedHashMap<>();
        for (PipelineFile pipeline : pipelines) {
            PipelineFile other = names.putIfAbsent(pipeline.name(), pipeline);
            if (other != null) {
                throw new ConfigurationException("pipeline files " + other.file() + " and " + pipeline.file()
                        + " both name the pipeline " + pipeline.name() + " (metadata.name), which keys the saved"
                        + " position and the data directory: give each its own");
            }
            String stream = pipeline.settings().get("stream.key");
            other = stream == null ? null : streams.putIfAbsent(stream, pipeline);
            if (other != null) {
                throw new ConfigurationException("pipeline files " + other.file() + " and " + pipeline.file()
                        + " both write the stream " + stream + " (spec.sinks[0].config.stream): give each its own");
            }
        }
    }

    /**
     * Once the settings are loaded, before anything is built: the data directory, server id and HTTP port of the
     * pipeline at {@code index}, from the values every pipeline would otherwise share.
     */
    private static MainListenerSupport keptApart(String name, int index) {
        return new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                PropertiesComponent properties = (PropertiesComponent) support.getCamelContext()
                        .getPropertiesComponent();
                Properties own = properties.getOverrideProperties() != null ? properties.getOverrideProperties()
                        : new Properties();
                properties.setOverrideProperties(own);
                own.put("cdc.dataDir", Path.of(setting(properties, "cdc.dataDir"), name).toString());
                own.put("cdc.serverId", Long.toString(Long.parseLong(setting(properties, "cdc.serverId")) + index));
                int port = Integer.parseInt(setting(properties, "camel.management.port"));
                own.put("camel.management.port", Integer.toString(port == 0 ? 0 : port + index));
                LOG.info("Pipeline {}: data directory {}, server id {}, HTTP port {}", name, own.get("cdc.dataDir"),
                        own.get("cdc.serverId"), own.get("camel.management.port"));
            }
        };
    }

    /**
     * Once Camel Main has its configuration: the HTTP port as it took it. A {@code -D} or an environment variable
     * that sets it sets it for every pipeline, over the port each was given: then two would share one port, which
     * is refused.
     */
    private static MainListenerSupport ownPort(String name, Map<Integer, String> ports) {
        return new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport support) {
                HttpManagementServerConfigurationProperties server = support.configure().httpManagementServer();
                if (!server.isEnabled() || server.getPort() == 0) {
                    return;
                }
                String other = ports.putIfAbsent(server.getPort(), name);
                if (other != null) {
                    throw new ConfigurationException("pipelines " + other + " and " + name + " both have the HTTP port "
                            + server.getPort() + ": camel.management.port set by -D or the environment is every"
                            + " pipeline's; set it in application.properties, where each pipeline adds its place (0,"
                            + " 1, ...) to it");
                }
            }
        };
    }

    /** A setting as resolved; application.properties has the defaults. */
    private static String setting(PropertiesComponent properties, String key) {
        return properties.resolveProperty(key).map(String::trim)
                .orElseThrow(() -> new ConfigurationException(key + " is not set (application.properties)"));
    }

    private static int ended(PipelineFile pipeline, Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigurationException problem) {
                System.err.println("cache-invalidation: configuration error: pipeline " + pipeline.name() + " ("
                        + pipeline.file() + "): " + problem.getMessage());
                return 2;
            }
        }
        LOG.error("Pipeline {} ended: {}", pipeline.name(), e.toString(), e);
        return 1;
    }
}
