package org.taylormlp.taylor;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * A release loaded to run holds its weights once: in the private copy, not also in the pages of its file mapping
 * that the digest check faulted in, and not as a heap copy of the coefficient matrices.
 */
class ReleaseMemoryTest {
    @TempDir
    static Path dir;
    static Path release;
    static long thetaBytes;

    /** A Llama of dim 512 whose release carries ~38 MB of coefficient matrices, enough to see any heap copy of them. */
    @BeforeAll
    static void makeRelease() throws IOException {
        SyntheticModels.Spec tiny = SyntheticModels.tiny(SyntheticModels.Family.LLAMA);
        SyntheticModels.Spec spec = new SyntheticModels.Spec(SyntheticModels.Family.LLAMA, 512, 2048, 2, 8, 2, 64, 64,
                10000, null, 0, 2048, false, tiny.vocab(), DType.F32, tiny.logitStd(), 31);
        Path gguf = dir.resolve("wide.gguf");
        SyntheticModels.write(spec, "gguf", gguf, Long.MAX_VALUE);
        release = dir.resolve("wide.safetensors");
        try (Engine e = Engine.open(gguf, null, 1, 128)) {
            CalibrationStats s = Calibrator.calibrate(e.transformer(), SelfText.sample(e, 256, 5), 0, 128, null);
            Selection.Plan plan = Selection.select("paper:50%", s, e.model().config().activation(), 8);
            Protector.protect(e.model(), plan, Protection.defaultOptions(e.model().config().activation()), release, null);
        }
        try (Engine e = Engine.open(release, null, 1, 64, WeightLoading.MMAP)) {
            for (int l = 0; l < e.model().config().nLayers(); l++) thetaBytes += e.model().require(ReleaseFormat.taylorTheta(l)).byteSize();
        }
    }

    @Test
    void aCopiedReleaseDropsTheMappedPagesItsDigestCheckFaultedIn() throws IOException {
        assumeThat(Path.of("/proc/self/smaps")).as("Linux /proc/self/smaps").isReadable();
        long fileBytes = Files.size(release);
        try (Engine e = Engine.open(release, null, 1, 64, WeightLoading.COPY)) {
            assertThat(ResidentWeights.copied(e.model())).isTrue();
            // every tensor was hashed through the mapping, so all of them had been faulted in
            assertThat(ReleaseIntegrity.report(e.model()).tensors()).isEqualTo(ReleaseIntegrity.Tensors.VERIFIED);
            long mapped = mappedRssBytes(release);
            assertThat(mapped).as("resident bytes of the release's mapping after the copy, file of %,d bytes", fileBytes)
                    .isLessThan(fileBytes / 20);
        }
    }

    @Test
    void runningAReleaseKeepsNoHeapCopyOfItsCoefficientMatrices() {
        assertThat(thetaBytes).isGreaterThan(30L << 20);
        for (WeightLoading mode : List.of(WeightLoading.COPY, WeightLoading.MMAP)) {
            long before = heapAfterGc();
            try (Engine e = Engine.open(release, null, 1, 64, mode)) {
                e.transformer().forward(new int[]{1, 2, 3, 4}, 0, 4, 0);
                long held = heapAfterGc() - before;
                assertThat(held).as("heap held by a %s engine, Θ is %,d bytes", mode, thetaBytes).isLessThan(thetaBytes / 4);
                // the measurement sees a copy of Θ when there is one
                Tensor theta = e.model().require(ReleaseFormat.taylorTheta(0));
                float[] copy = theta.toFloats();
                assertThat(heapAfterGc() - before - held).isGreaterThan(theta.byteSize() * 9 / 10);
                assertThat((long) copy.length).isEqualTo(theta.size());
            }
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Resident bytes of this process's mappings of {@code file}, from /proc/self/smaps. */
    static long mappedRssBytes(Path file) throws IOException {
        String name = file.toRealPath().toString();
        long kb = 0;
        boolean in = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                in = line.endsWith(" " + name);
            } else if (in && line.startsWith("Rss:")) {
                kb += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kb * 1024;
    }
}
