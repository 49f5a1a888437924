package org.taylormlp.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.model.Model;
import org.taylormlp.synth.SyntheticModels;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bytes appended after the last tensor, per format, through the CLI: a GGUF file loads with a one-line notice
 * (llama.cpp ignores such bytes too) and generates what the intact file generates, while {@code verify} reports
 * them and exits 1; a llama2.c checkpoint (no magic, no tensor table: its size is the only check of its header),
 * a safetensors file and a release are refused with a typed error, by both {@code generate} and {@code verify}.
 */
class AppendedGarbageTest {
    @TempDir
    static Path dir;
    static Path gguf, hf, release;
    static final String[] GEN = {"-p", "Once upon a time", "-n", "6", "--temperature", "0", "-t", "1"};

    @BeforeAll
    static void setUp() throws IOException {
        gguf = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", gguf, Long.MAX_VALUE);
        hf = dir.resolve("hf");
        try (Model m = org.taylormlp.runtime.Models.load(gguf)) {
            ModelWriters.writeHf(m, null, hf, Long.MAX_VALUE);
        }
        Path text = dir.resolve("calib.txt");
        Files.writeString(text, "Once upon a time there was a little girl who liked to play in the park with her dog.\n".repeat(40));
        release = dir.resolve("release.safetensors");
        CliCapture.Run p = CliCapture.run("protect", "-m", gguf.toString(), "-t", "1", "--text", text.toString(), "--max-tokens", "500",
                "--select", "radius:0.9", "--order", "8", "-o", release.toString());
        assertThat(p.exit()).as(p.err()).isZero();
    }

    private static CliCapture.Run generate(Path model, String... more) {
        String[] args = new String[2 + GEN.length + more.length + 1];
        args[0] = "generate";
        args[1] = "-m";
        args[2] = model.toString();
        System.arraycopy(GEN, 0, args, 3, GEN.length);
        System.arraycopy(more, 0, args, 3 + GEN.length, more.length);
        return CliCapture.run(java.util.Arrays.copyOf(args, 3 + GEN.length + more.length));
    }

    private static Path appended(Path src, Path dest, int n) throws IOException {
        byte[] good = Files.readAllBytes(src);
        byte[] garbage = new byte[n];
        new Random(n).nextBytes(garbage);
        Files.createDirectories(dest.getParent());
        Files.write(dest, good);
        Files.write(dest, garbage, java.nio.file.StandardOpenOption.APPEND);
        return dest;
    }

    @Test
    void ggufLoadsWithANoticeAndVerifyReportsTheTrailingBytes() throws IOException {
        try (GgufFile g = GgufFile.open(gguf)) {
            assertThat(g.trailingBytes()).as("the project's writer pads the last tensor and stops").isZero();
            assertThat(g.dataEnd()).isEqualTo(g.fileSize());
        }
        if (TestFiles.hasAsset("models/stories260K-gguf/stories260K.gguf")) {
            try (GgufFile g = GgufFile.open(TestFiles.model("stories260K-gguf/stories260K.gguf"))) {
                assertThat(g.trailingBytes()).as("a GGUF file written by llama.cpp's converter").isZero();
            }
        }
        CliCapture.Run intact = generate(gguf);
        assertThat(intact.exit()).as(intact.err()).isZero();
        assertThat(intact.err()).doesNotContain("notice");

        Path bad = appended(gguf, dir.resolve("garbage/tiny.gguf"), 4096);
        CliCapture.Run run = generate(bad);
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(intact.out());
        assertThat(run.err().lines().filter(l -> l.startsWith("notice:")).toList()).singleElement().asString()
                .contains("tiny.gguf").contains("4096 bytes after the last tensor").contains("ignored").contains("verify");

        CliCapture.Run v = CliCapture.run("verify", bad.toString());
        assertThat(v.exit()).isEqualTo(1);
        assertThat(v.out()).doesNotContain("OK");
        assertThat(v.err()).startsWith("error: ").contains(bad.toString()).contains("4096 bytes after the last tensor");
        CliCapture.Run ok = CliCapture.run("verify", gguf.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();

        // one byte is enough
        CliCapture.Run one = CliCapture.run("verify", appended(gguf, dir.resolve("one/tiny.gguf"), 1).toString());
        assertThat(one.exit()).isEqualTo(1);
        assertThat(one.err()).contains("1 bytes after the last tensor");
    }

    @Test
    void llama2cRefusesTrailingBytes() throws IOException {
        Path model = TestFiles.smallModel(), tok = TestFiles.smallTokenizer();
        Path bad = appended(model, dir.resolve("l2c/model.bin"), 4096);
        CliCapture.Run run = generate(bad, "--tokenizer", tok.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("error: ").contains("model.bin").contains("4096 bytes after the last tensor")
                .contains("appended");
        CliCapture.Run v = CliCapture.run("verify", bad.toString(), "--tokenizer", tok.toString());
        assertThat(v.exit()).isEqualTo(1);
        assertThat(v.err()).contains("4096 bytes after the last tensor");
        CliCapture.Run ok = CliCapture.run("verify", model.toString(), "--tokenizer", tok.toString());
        assertThat(ok.exit()).as(ok.err()).isZero();

        // exactly one more vocab x dim matrix behind a shared-classifier header: the tell-tale of a flipped vocab_size sign
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(model), 0, 28).order(ByteOrder.LITTLE_ENDIAN);
        int dim = h.getInt(0), vocab = h.getInt(20);
        if (vocab > 0) {
            Path flipped = appended(model, dir.resolve("l2c-sign/model.bin"), vocab * dim * 4);
            CliCapture.Run f = generate(flipped, "--tokenizer", tok.toString());
            assertThat(f.exit()).isEqualTo(1);
            assertThat(f.err()).contains("sign of vocab_size");
        }
    }

    @Test
    void safetensorsAndReleasesRefuseTrailingBytes() throws IOException {
        Path folder = dir.resolve("hf-garbage");
        Files.createDirectories(folder);
        try (var s = Files.list(hf)) {
            for (Path f : s.toList()) Files.copy(f, folder.resolve(f.getFileName()));
        }
        appended(hf.resolve("model.safetensors"), folder.resolve("model.safetensors"), 4096);
        for (Path bad : new Path[] {folder, appended(release, dir.resolve("rel/release.safetensors"), 4096)}) {
            CliCapture.Run run = generate(bad);
            assertThat(run.exit()).as(bad.toString()).isEqualTo(1);
            assertThat(run.out()).isEmpty();
            assertThat(run.err()).startsWith("error: ").contains("trailing bytes after the last tensor");
            CliCapture.Run v = CliCapture.run("verify", bad.toString());
            assertThat(v.exit()).as(bad + ": " + v.out()).isEqualTo(1);
            assertThat(v.err()).contains("trailing bytes after the last tensor");
        }
        assertThat(CliCapture.run("verify", hf.toString()).exit()).isZero();
        assertThat(CliCapture.run("verify", release.toString()).exit()).isZero();
    }
}
