package org.taylormlp.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.synth.SyntheticModels;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's Java example, compiled from the README text and run against a synthetic model. */
class ApiExampleTest {
    @TempDir Path dir;

    static String readmeJavaBlock() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("### Embed it in Java");
        assertThat(section).as("README has the 'Embed it in Java' section").isGreaterThanOrEqualTo(0);
        int start = readme.indexOf("```java\n", section);
        int end = readme.indexOf("```\n", start + 8);
        assertThat(start).isGreaterThan(section);
        return readme.substring(start + "```java\n".length(), end);
    }

    @Test
    void readmeExampleCompilesAndRuns() throws Exception {
        String src = readmeJavaBlock();
        Path srcDir = Files.createDirectories(dir.resolve("src"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Files.writeString(srcDir.resolve("Example.java"), src);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = javac.run(null, diag, diag, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                srcDir.resolve("Example.java").toString());
        assertThat(rc).as("javac output: %s", diag.toString(StandardCharsets.UTF_8)).isZero();

        Path model = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", model, 0);
        Path release = dir.resolve("tiny.release.safetensors");

        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader cl = new URLClassLoader(new URL[]{classes.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = cl.loadClass("Example").getMethod("main", String[].class);
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            main.invoke(null, (Object) new String[]{model.toString(), release.toString()});
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        // what the example streamed is exactly what the API generates greedily on the same model
        String expected;
        try (TaylorModel m = TaylorModel.open(model)) {
            expected = m.generate("Once upon a time", GenerationOptions.greedy(32)).text();
        }
        assertThat(expected).isNotEmpty();
        assertThat(printed).startsWith(expected + "\n").contains(" tokens, ").contains(" neurons protected in " + release);
        assertThat(release).isRegularFile();
        try (TaylorModel r = TaylorModel.open(release)) {
            assertThat(r.info().release()).isTrue();
        }
    }

    @Test
    void streamingPiecesConcatenateToTheCompletionAndFalseStops() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.QWEN2), "gguf", model, 0);
        try (TaylorModel m = TaylorModel.open(model, new TaylorModel.OpenOptions(null, 1, 256))) {
            ModelInfo info = m.info();
            assertThat(info.architecture()).isEqualTo("qwen2");
            assertThat(info.release()).isFalse();
            assertThat(info.contextLength()).isEqualTo(256);
            List<String> pieces = new ArrayList<>();
            Completion c = m.generate("Hello", GenerationOptions.sampled(24, 0.9f, 7), p -> pieces.add(p));
            assertThat(String.join("", pieces)).isEqualTo(c.text());
            assertThat(c.generatedTokens()).isBetween(1, 24);
            Completion again = m.generate("Hello", GenerationOptions.sampled(24, 0.9f, 7));
            assertThat(again.text()).as("same seed, same text").isEqualTo(c.text());
            List<String> one = new ArrayList<>();
            Completion stopped = m.generate("Hello", GenerationOptions.greedy(24), p -> { one.add(p); return false; });
            assertThat(stopped.stopReason()).isEqualTo("stop");
            assertThat(one).hasSize(1);
        }
    }

    @Test
    void protectThenAuditRecoversTheProtectedWeights() throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", model, 0);
        Path release = dir.resolve("r.safetensors");
        Releases.ProtectReport p = Releases.protect(model, null, release,
                new Releases.ProtectOptions(List.of(), 512, "paper:50%", 8, 1));
        assertThat(p.release()).isEqualTo(release);
        assertThat(p.protectedNeurons()).isEqualTo(p.totalNeurons() / 2);
        assertThat(p.order()).isEqualTo(8);
        assertThat(p.predictedSlowdown()).isGreaterThan(1.0);
        Releases.AuditReport a = Releases.audit(release, model, dir.resolve("audit"), java.util.Set.of("zero_query"), 1);
        assertThat(a.fractionNeuronsRecovered()).isEqualTo(1.0);
        assertThat(a.recoveredRelativeError()).isLessThan(1e-5);
        assertThat(a.reportJson()).isRegularFile();
    }

    @Test
    void badInputIsATypedError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TaylorModel.open(dir.resolve("missing.gguf")))
                .isInstanceOf(org.taylormlp.TaylorMlpException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenerationOptions.greedy(-1))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Releases.audit(dir.resolve("x"), null, dir, java.util.Set.of("nope"), 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown attack");
    }
}
