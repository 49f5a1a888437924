package org.taylormlp.taylor;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.TestFiles;
import org.taylormlp.app.Engine;
import org.taylormlp.app.TextData;
import org.taylormlp.eval.Fidelity;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default preset keeps the original's behaviour on held-out text: teacher-forced argmax agreement ≥ 99.9 %
 * over ≥ 20,000 tokens of paragraphs not used for calibration, and identical 64-token greedy continuations for
 * ≥ 98 % of 50 prompts taken from that text.
 */
class DefaultPresetFidelityTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"stories260K/stories260K.bin", "stories15M/stories15M.bin"})
    void defaultPresetMatchesOriginalOnHeldOutText(String model) {
        ReleaseFixtures.tinyStories(); // the held-out TinyStories text: skipped, naming it, without the test assets
        Path release = dir.resolve("release.safetensors");
        try (Engine original = Engine.open(TestFiles.model(model), null, 2, 512)) {
            CalibrationStats s = ReleaseFixtures.calibrate(original, 20000);
            Selection.Plan plan = ReleaseFixtures.plan(original, s, Protection.DEFAULT_RULE, Protection.DEFAULT_ORDER);
            Protector.Summary sum = Protector.protect(original.model(), plan, Protection.defaultOptions(original.model().config().activation()), release, null);
            assertThat(sum.protectedNeurons()).isPositive();
            try (Engine rel = Engine.open(release, null, 2, 512)) {
                var tok = original.model().tokenizer();
                List<int[]> held = TextData.encode(tok, ReleaseFixtures.heldOutParagraphs(), 20500, 512);
                assertThat(TextData.tokenCount(held)).isGreaterThanOrEqualTo(20000);
                Fidelity.TeacherForced tf = Fidelity.teacherForced(original.transformer(), rel.transformer(), held, null);
                List<int[]> prompts = new ArrayList<>();
                for (int[] seq : held) {
                    if (seq.length >= 12 && prompts.size() < 50) prompts.add(Arrays.copyOf(seq, 12));
                }
                assertThat(prompts).hasSize(50);
                Fidelity.Greedy g = Fidelity.greedy(original.transformer(), rel.transformer(), tok, prompts, 64);
                System.out.printf("%s: protected %d/%d neurons (%.1f%%), agreement %.5f over %d, KL mean %.3g, greedy %d/%d%n",
                        model, sum.protectedNeurons(), sum.totalNeurons(), 100.0 * sum.protectedNeurons() / sum.totalNeurons(),
                        tf.agreement(), tf.positions(), tf.klMean(), g.identical(), g.prompts());
                assertThat(tf.positions()).isGreaterThanOrEqualTo(20000);
                assertThat(tf.agreement()).isGreaterThanOrEqualTo(0.999);
                assertThat(g.matchRate()).isGreaterThanOrEqualTo(0.98);
            }
        }
    }
}
