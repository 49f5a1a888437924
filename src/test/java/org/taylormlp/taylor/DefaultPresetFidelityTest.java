package org.taylormlp.taylor;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.TextData;
import org.taylormlp.eval.Fidelity;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default preset protects the share of neurons docs/RESULTS.md reports (63.5 % of stories15M, 30.9 % of
 * stories260K) and keeps the original's behaviour on held-out text: teacher-forced argmax agreement ≥ 99.9 %
 * over ≥ 20,000 tokens of paragraphs not used for calibration, and identical 64-token greedy continuations for
 * ≥ 47 of 50 prompts taken from that text.
 *
 * <p>Margins (measured figures in docs/RESULTS.md, "What the tests hold"): agreement 0.99985 / 0.99995, i.e.
 * 3 and 1 flips in ~20,000 positions, against a floor that allows 20; greedy 49/50 and 50/50. A greedy
 * continuation diverges when a near-tie flips (then the rest of the text differs), so prompts are the unit:
 * measured rate 1 flip in 100 prompts; at p = 1 % the chance of 4 or more flips in 50 is 0.16 %, so a flip or
 * two on another CPU does not decide, while a broken series or selection flips most prompts. The protected
 * fraction is deterministic on one machine; ±1 percentage point allows neurons on the radius to flip elsewhere.
 */
class DefaultPresetFidelityTest {
    /** Protected fraction of MLP neurons at the default preset, as docs/RESULTS.md reports it. */
    static final Map<String, Double> DOCUMENTED_FRACTION = Map.of(
            "stories260K/stories260K.bin", 0.309, "stories15M/stories15M.bin", 0.635);
    static final double FRACTION_BAND = 0.01;
    static final int MIN_GREEDY_IDENTICAL = 47;

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
            double fraction = (double) sum.protectedNeurons() / sum.totalNeurons();
            assertThat(fraction).as("protected fraction (docs/RESULTS.md: %s)", DOCUMENTED_FRACTION.get(model))
                    .isBetween(DOCUMENTED_FRACTION.get(model) - FRACTION_BAND, DOCUMENTED_FRACTION.get(model) + FRACTION_BAND);
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
                assertThat(g.prompts()).isEqualTo(50);
                assertThat(g.identical()).as("identical greedy continuations of 50").isGreaterThanOrEqualTo(MIN_GREEDY_IDENTICAL);
                if (model.startsWith("stories15M")) markedReleaseKeepsTheFidelity(original, plan, rel, held, prompts);
            }
        }
    }

    /**
     * A release fingerprinted for a recipient at the default strength (same plan) behaves as the unmarked one:
     * teacher-forced agreement with it ≥ 99.99 % over the ≥ 20,000 held-out positions, and the same 50 greedy
     * continuations. Against the original it therefore holds the preset's bars checked above: its greedy
     * continuations are the unmarked release's (so exactly as many equal the original's), and its teacher-forced
     * agreement with the original is within the 0.01 % that separates it from the unmarked release.
     *
     * <p>Margin: at the default strength the dense stories15M, marked against unmarked, changed 0 argmaxes in 39,111
     * held-out positions (1 at twice the strength; docs/SECURITY.md, "Choosing the strength"), i.e. well under
     * 1 in 20,000, while the 99.99 % floor allows 2 of 20,000. The 50 greedy continuations (3,200 positions) are
     * then expected to differ less than 0.1 times in all.
     */
    private void markedReleaseKeepsTheFidelity(Engine original, Selection.Plan plan, Engine unmarked, List<int[]> held, List<int[]> prompts) {
        Path marked = dir.resolve("marked.safetensors");
        byte[] secret = new byte[32];
        java.util.Arrays.fill(secret, (byte) 0x5a);
        org.taylormlp.model.Model mm = org.taylormlp.trace.Mark.of(secret, "fidelity-check").apply(original.model(), org.taylormlp.trace.Mark.DEFAULT_STRENGTH);
        Protector.protect(mm, plan, Protection.defaultOptions(original.model().config().activation()), marked, null);
        try (Engine m = Engine.open(marked, null, 2, 512)) {
            var tok = original.model().tokenizer();
            Fidelity.TeacherForced vsUnmarked = Fidelity.teacherForced(unmarked.transformer(), m.transformer(), held, null);
            Fidelity.Greedy gu = Fidelity.greedy(unmarked.transformer(), m.transformer(), tok, prompts, 64);
            System.out.printf("marked at %.1e: vs unmarked release %.6f over %d, greedy %d/%d%n", org.taylormlp.trace.Mark.DEFAULT_STRENGTH,
                    vsUnmarked.agreement(), vsUnmarked.positions(), gu.identical(), gu.prompts());
            assertThat(vsUnmarked.positions()).isGreaterThanOrEqualTo(20000);
            assertThat(vsUnmarked.agreement()).as("marked vs unmarked release, teacher-forced").isGreaterThanOrEqualTo(0.9999);
            assertThat(gu.prompts()).isEqualTo(50);
            assertThat(gu.identical()).as("marked vs unmarked release, identical greedy continuations").isEqualTo(gu.prompts());
        }
    }
}
