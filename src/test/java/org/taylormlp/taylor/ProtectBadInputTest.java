package org.taylormlp.taylor;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.cli.Main;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad calibration text, bad orders, damaged releases: typed errors and no partial files. */
class ProtectBadInputTest {
    @TempDir
    static Path shared;
    static Path release;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeRelease() {
        release = shared.resolve("good.safetensors");
        try (Engine e = Engine.open(TestFiles.smallModel(), null, 1, 256)) {
            CalibrationStats s = ReleaseFixtures.calibrate(e, 2000);
            Protector.protect(e.model(), ReleaseFixtures.plan(e, s, "paper:25%", 4), Protector.Options.defaults(), release, null);
        }
    }

    @Test
    void calibrationTextWithoutTokensIsRejectedAndWritesNothing() throws IOException {
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "\n\n   \n");
        Path out = dir.resolve("r.safetensors");
        int code = Main.execute("protect", "-m", TestFiles.smallModel().toString(),
                "--text", empty.toString(), "-o", out.toString());
        assertThat(code).isEqualTo(1);
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList()).containsExactly("empty.txt");
        try (Engine e = Engine.open(TestFiles.smallModel(), null, 1, 64)) {
            assertThatThrownBy(() -> Calibrator.calibrate(e.transformer(), List.of(), 0, 64, null))
                    .isInstanceOf(TaylorMlpException.class).hasMessageContaining("no tokens");
        }
    }

    @Test
    void orderOutOfRangeIsRejected() {
        CalibrationStats s = new CalibrationStats(1, 4, 8);
        s.accept(0, new float[]{0, 1, 2, 3}, 0);
        s.finish();
        assertThatThrownBy(() -> Selection.select("radius:0.5", s, org.taylormlp.model.ModelConfig.Activation.SILU, 65))
                .isInstanceOf(TaylorMlpException.class).hasMessageContaining("order");
        assertThatThrownBy(() -> Selection.select("radius:0.5", s, org.taylormlp.model.ModelConfig.Activation.SILU, -1))
                .isInstanceOf(TaylorMlpException.class).hasMessageContaining("order");
        assertThatThrownBy(() -> Selection.select("bogus:3", s, org.taylormlp.model.ModelConfig.Activation.SILU, 4))
                .isInstanceOf(TaylorMlpException.class).hasMessageContaining("unknown selection rule");
        assertThatThrownBy(() -> Selection.select("paper:9", s, org.taylormlp.model.ModelConfig.Activation.SILU, 4))
                .isInstanceOf(TaylorMlpException.class).hasMessageContaining("paper:K");
        assertThat(Main.execute("protect", "-m", "nowhere.bin", "--text", "x.txt", "--order", "-3", "-o",
                dir.resolve("o").toString())).isEqualTo(2); // an invalid argument, found before the model is read
    }

    /** Rewrites the good release with one change and expects a typed error naming the file. */
    private void expectBroken(String expected, Consumer<Map<String, String>> metadataEdit, String dropTensor,
                              String reshapeTensor) throws IOException {
        Path bad = dir.resolve("bad.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(release)) {
            SafetensorsWriter w = new SafetensorsWriter();
            Map<String, String> md = new java.util.LinkedHashMap<>(f.metadata());
            metadataEdit.accept(md);
            md.forEach(w::putMetadata);
            for (Tensor t : f.tensors()) {
                if (t.name().equals(dropTensor)) continue;
                if (t.name().equals(reshapeTensor)) {
                    float[] v = t.toFloats();
                    w.addTensor(Tensor.ofFloats(t.name(), java.util.Arrays.copyOf(v, v.length - t.cols()), t.rows() - 1, t.cols()));
                } else {
                    w.addTensor(t);
                }
            }
            w.write(bad);
        }
        assertThatThrownBy(() -> {
            org.taylormlp.runtime.Models.load(bad).close();
        }).isInstanceOf(ModelFormatException.class).hasMessageContaining(bad.toString()).hasMessageContaining(expected);
    }

    @Test
    void missingThetaTensor() throws IOException {
        expectBroken("missing tensor 'blk.0.taylor_theta.weight'", md -> {}, ReleaseFormat.taylorTheta(0), null);
    }

    @Test
    void thetaWithWrongShape() throws IOException {
        expectBroken("blk.1.taylor_theta.weight' has shape", md -> {}, null, ReleaseFormat.taylorTheta(1));
    }

    @Test
    void orderInconsistentWithTensors() throws IOException {
        expectBroken("has shape", md -> md.put("taylor", md.get("taylor").replace("\"order\":4", "\"order\":5")), null, null);
    }

    @Test
    void unsupportedFormatVersion() throws IOException {
        expectBroken("unsupported release format version 99", md -> md.put("format_version", "99"), null, null);
    }

    @Test
    void garbledConfig() throws IOException {
        expectBroken("release config", md -> md.put("config", "{\"dim\": -3"), null, null);
    }

    @Test
    void missingTokenizer() throws IOException {
        expectBroken("lacks 'tokenizer'", md -> md.remove("tokenizer"), null, null);
    }

    @Test
    void layerCountMismatch() throws IOException {
        expectBroken("layers", md -> md.put("taylor", md.get("taylor").replaceFirst("\\{\"layer\":0[^}]*},", "")), null, null);
    }
}
