package org.taylormlp.taylor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** protect → write → read → generate in a fresh JVM, with the original checkpoint gone. */
class ReleaseRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void releaseRunsStandaloneInAFreshProcess() throws Exception {
        Path model = dir.resolve("orig").resolve(TestFiles.smallModel().getFileName()); // stories260K, else stories15M
        Files.createDirectories(model.getParent());
        Files.copy(TestFiles.smallModel(), model);
        Files.copy(TestFiles.smallTokenizer(), model.resolveSibling(TestFiles.smallTokenizer().getFileName()));
        Path release = dir.resolve("release.safetensors");
        String expected;
        try (Engine e = Engine.open(model, null, 1, 256)) {
            CalibrationStats s = ReleaseFixtures.calibrate(e, 4000);
            Protector.protect(e.model(), ReleaseFixtures.plan(e, s, Protection.DEFAULT_RULE, Protection.DEFAULT_ORDER),
                    Protection.defaultOptions(e.model().config().activation()), release, null);
            var tok = e.model().tokenizer();
            int[] prompt = tok.encode("Once upon a time", true);
            int[] ids = new Generator(e.transformer(), tok).generate(prompt, 40, Sampler.greedy(), null).tokens();
            int[] all = new int[prompt.length + ids.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(ids, 0, all, prompt.length, ids.length);
            expected = tok.decode(all);
        }
        // the original is gone: the release must be self-contained (weights and tokenizer)
        Files.delete(model);
        Files.delete(model.resolveSibling(TestFiles.smallTokenizer().getFileName()));
        Files.delete(model.getParent());
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList()).containsExactly("release.safetensors");

        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "org.taylormlp.cli.Main", "generate", "-m", release.toString(), "--prompt", "Once upon a time",
                "-n", "40", "--temperature", "0", "-t", "1"));
        org.taylormlp.TestProcesses.Result r = org.taylormlp.TestProcesses.run(new ProcessBuilder(cmd),
                java.time.Duration.ofSeconds(120), "taylormlp generate on the release in a fresh JVM");
        assertThat(r.exitCode()).as(r.output()).isZero();
        String out = r.stdout();
        assertThat(out.strip()).isEqualTo(expected.strip());
    }
}
