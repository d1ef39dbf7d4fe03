package dev.cacheinvalidation.offsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.cacheinvalidation.config.ConfigurationException;
import io.debezium.embedded.EmbeddedWorkerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saved positions are replaced whole or not at all, and a damaged file stops the start instead of a silent reset. */
class AtomicFileOffsetBackingStoreTest {

    @TempDir
    Path dir;

    @Test
    void aSavedPositionIsReadBackByTheNextStoreAndNoTemporaryFileRemains() throws Exception {
        Path file = dir.resolve("offsets.dat");
        AtomicFileOffsetBackingStore first = store(file);
        first.start();
        first.set(Map.of(bytes("partition"), bytes("{\"pos\":42}")), null).get(10, TimeUnit.SECONDS);
        first.set(Map.of(bytes("partition"), bytes("{\"pos\":43}")), null).get(10, TimeUnit.SECONDS);
        first.stop();

        assertThat(Files.size(file)).isPositive();
        assertThat(dir.resolve("offsets.dat.tmp")).doesNotExist();
        AtomicFileOffsetBackingStore second = store(file);
        second.start();
        Map<ByteBuffer, ByteBuffer> read = second.get(List.of(bytes("partition"))).get(10, TimeUnit.SECONDS);
        assertThat(StandardCharsets.UTF_8.decode(read.get(bytes("partition"))).toString()).isEqualTo("{\"pos\":43}");
        second.stop();
    }

    @Test
    void anEmptyPositionFileStopsTheStartWithAClearMessage() throws Exception {
        Path file = Files.createFile(dir.resolve("offsets.dat"));
        assertThatThrownBy(() -> store(file)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("is empty").hasMessageContaining(file.toString());
    }

    private static AtomicFileOffsetBackingStore store(Path file) {
        AtomicFileOffsetBackingStore store = new AtomicFileOffsetBackingStore();
        store.configure(new EmbeddedWorkerConfig(new java.util.HashMap<>(Map.of("offset.storage.file.filename", file.toString()))));
        return store;
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }
}
