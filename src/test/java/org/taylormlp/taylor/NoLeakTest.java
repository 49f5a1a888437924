package org.taylormlp.taylor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No protected neuron's original W_down column or gate row (exactly, or negated) occurs anywhere in the release
 * bytes, contiguously or as a strided column of a coefficient matrix.
 */
class NoLeakTest {
    @TempDir
    Path dir;

    @Test
    void protectedWeightsNeverAppearInReleaseBytes() throws Exception {
        Path out = dir.resolve("r.safetensors");
        // stories260K; without the test assets a synthetic Llama GGUF of the same scale (the byte scan is quadratic
        // in the protected columns, too slow on stories15M)
        Path model = TestFiles.smallIsStories260K() ? TestFiles.smallModel() : dir.resolve("synthetic-llama.gguf");
        if (!TestFiles.smallIsStories260K()) {
            org.taylormlp.synth.SyntheticModels.write(org.taylormlp.synth.SyntheticModels.tiny(org.taylormlp.synth.SyntheticModels.Family.LLAMA),
                    "gguf", model, Long.MAX_VALUE);
        }
        Selection.Plan plan;
        try (Engine e = Engine.open(model, null, 1, 256)) {
            CalibrationStats s = ReleaseFixtures.calibrate(e, 3000);
            plan = ReleaseFixtures.plan(e, s, "paper:50%", 8);
            Protector.protect(e.model(), plan, Protector.Options.defaults(), out, null);
        }
        byte[] release = Files.readAllBytes(out);
        try (Model orig = org.taylormlp.runtime.Models.load(model)) {
            int dim = orig.config().dim(), hidden = orig.config().hiddenDim();
            List<float[]> secrets = new ArrayList<>();
            for (Selection.LayerPlan lp : plan.layers()) {
                Tensor gate = orig.require(TensorNames.blk(lp.layer(), TensorNames.FFN_GATE));
                Tensor down = orig.require(TensorNames.blk(lp.layer(), TensorNames.FFN_DOWN));
                for (int j : lp.neurons()) {
                    float[] g = new float[dim];
                    gate.readRow(j, g);
                    float[] col = new float[dim];
                    for (int i = 0; i < dim; i++) col[i] = down.get((long) i * hidden + j);
                    secrets.add(g);
                    secrets.add(negate(g));
                    secrets.add(col);
                    secrets.add(negate(col));
                }
            }
            assertThat(secrets).hasSizeGreaterThan(100);
            // contiguous occurrences at any 4-byte offset, keyed by the first 4 floats
            Map<Long, List<float[]>> byPrefix = new HashMap<>();
            for (float[] v : secrets) byPrefix.computeIfAbsent(key(bytes(v), 0), k -> new ArrayList<>()).add(v);
            for (int off = 0; off + 16 <= release.length; off++) {
                List<float[]> cands = byPrefix.get(key(release, off));
                if (cands == null) continue;
                for (float[] v : cands) {
                    byte[] b = bytes(v);
                    boolean all = off + b.length <= release.length;
                    for (int k = 0; all && k < b.length; k++) all = release[off + k] == b[k];
                    assertThat(all).as("a protected weight vector occurs at byte %d", off).isFalse();
                }
            }
            // strided: every coefficient column of every layer differs from every secret column
            try (Model rel = org.taylormlp.runtime.Models.load(out)) {
                for (Selection.LayerPlan lp : plan.layers()) {
                    if (lp.count() == 0) continue;
                    Tensor theta = rel.require(ReleaseFormat.taylorTheta(lp.layer()));
                    int cols = theta.cols();
                    for (int c = 0; c < cols; c++) {
                        float[] col = new float[dim];
                        for (int i = 0; i < dim; i++) col[i] = theta.get((long) i * cols + c);
                        for (float[] v : secrets) assertThat(java.util.Arrays.equals(col, v)).isFalse();
                    }
                }
            }
        }
    }

    private static float[] negate(float[] v) {
        float[] n = new float[v.length];
        for (int i = 0; i < v.length; i++) n[i] = -v[i];
        return n;
    }

    private static byte[] bytes(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    private static long key(byte[] b, int off) {
        long k = 0;
        for (int i = 0; i < 16; i++) k = k * 1_000_003L + b[off + i];
        return k;
    }
}
