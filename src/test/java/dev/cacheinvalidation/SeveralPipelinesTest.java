package dev.cacheinvalidation;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.cacheinvalidation.Application.Role;
import dev.cacheinvalidation.config.ConfigurationException;
import dev.cacheinvalidation.pipelinefile.PipelineFile;
import org.junit.jupiter.api.Test;

/** What would collide between pipeline files of one process is refused before anything starts. */
class SeveralPipelinesTest {

    private static final Map<String, String> ENV = Map.of("MYSQL_DSN", "mysql://cdc:pw@db:3306/app", "REDIS_URI",
            "redis://cache:6379");

    private static PipelineFile pipeline(String file, String name, String stream) {
        return PipelineFile.parse(file, """
                apiVersion: deltaforge/v1
                kind: Pipeline
                metadata:
                  name: %s
                spec:
                  source:
                    type: mysql
                    config:
                      id: app-mysql
                      dsn: ${MYSQL_DSN}
                      tables: [app.users]
                  sinks:
                    - type: redis
                      config:
                        id: stream
                        uri: ${REDIS_URI}
                        stream: %s
                """.formatted(name, stream), ENV);
    }

    @Test
    void twoPipelinesOfTheirOwnPass() {
        assertThatCode(() -> SeveralPipelines.refuseCollisions(List.of(pipeline("a.yaml", "a", "cache:a"),
                pipeline("b.yaml", "b", "cache:b")))).doesNotThrowAnyException();
    }

    @Test
    void oneNameOrOneStreamInTwoFilesIsRefusedNamingBothFiles() {
        assertThatThrownBy(() -> SeveralPipelines.refuseCollisions(List.of(pipeline("a.yaml", "same", "cache:a"),
                pipeline("b.yaml", "same", "cache:b")))).isInstanceOf(ConfigurationException.class)
                .hasMessage("pipeline files a.yaml and b.yaml both name the pipeline same (metadata.name), which keys"
                        + " the saved position and the data directory: give each its own");
        assertThatThrownBy(() -> SeveralPipelines.refuseCollisions(List.of(pipeline("a.yaml", "a", "cache:same"),
                pipeline("b.yaml", "b", "cache:same")))).hasMessageContaining("both write the stream cache:same");
    }

    @Test
    void theOneOffCommandsTakeOneFile() {
        assertThatThrownBy(() -> SeveralPipelines.run(Role.REPLAY, List.of(Path.of("a.yaml"), Path.of("b.yaml")),
                new String[0])).hasMessage("replay takes one pipeline file: several run with all, pipeline or worker");
    }
}
