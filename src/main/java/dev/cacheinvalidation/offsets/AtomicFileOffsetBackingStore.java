package dev.cacheinvalidation.offsets;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import dev.cacheinvalidation.config.ConfigurationException;
import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.FileOffsetBackingStore;

/**
 * Kafka's file offset store, saving atomically. The stock store truncates the file and writes it in place: a
 * process killed in between leaves an empty file, which the next start reads as "no position" and so starts
 * from the server's current position, skipping what was committed meanwhile. Here each save goes to a temporary
 * file that is forced to disk and then moved over the old one.
 */
final class AtomicFileOffsetBackingStore extends FileOffsetBackingStore {

    private Field fileField;
    private File target;
    private File temporary;

    AtomicFileOffsetBackingStore() {
        super(KafkaConnectUtil.converterForOffsetStore());
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        try {
            fileField = FileOffsetBackingStore.class.getDeclaredField("file");
            fileField.setAccessible(true);
            target = (File) fileField.get(this);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this Kafka Connect version has no file field in its file offset store", e);
        }
        temporary = new File(target.getPath() + ".tmp");
        if (target.exists() && target.length() == 0) {
            throw new ConfigurationException("the saved binlog position " + target + " is empty (a crash while an older"
                    + " version wrote it): remove it to start from the current position, knowing that changes since the"
                    + " last run are then not invalidated");
        }
    }

    @Override
    protected synchronized void save() {
        try {
            fileField.set(this, temporary);
            try {
                super.save();
            } finally {
                fileField.set(this, target);
            }
            try (FileChannel channel = FileChannel.open(temporary.toPath(), StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(temporary.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | IllegalAccessException e) {
            throw new ConnectException("cannot save the binlog position to " + target, e);
        }
    }
}
