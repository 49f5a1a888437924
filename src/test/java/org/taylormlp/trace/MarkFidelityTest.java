package org.taylormlp.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.ModelStore;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.Selection;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A default-preset stories15M release marked at the default strength keeps the unmarked release's behaviour:
 * teacher-forced argmax agreement ≥ 99.99 % over ≥ 10,000 held-out tokens the original samples itself (seeds
 * disjoint from calibration) and identical greedy continuations on 104 prompts.
 *
 * <p>Against the original, the marked release then keeps the unmarked preset's own fidelity: its greedy
 * continuations are the unmarked release's (so the same fraction matches the original), and its teacher-forced
 * agreement with the original differs from the unmarked release's by at most the 0.01 % that separates the two
 * releases. The preset's bars against the original (≥ 99.9 %, ≥ 98 %) are {@code DefaultPresetFidelityTest}'s, on
 * held-out TinyStories; on this test's text (2,048 self-sampled calibration tokens, a quarter of the demo's) the
 * unmarked preset itself scores lower, so they are printed here, not asserted.
 */
@org.junit.jupiter.api.Tag("slow")
class MarkFidelityTest {
    @TempDir
    Path dir;

    @Test
    void markedReleaseAgreesWithUnmarkedRelease() {
        ModelStore.Located s = ModelStore.stories15M(null);
        try (Engine orig = Engine.open(s.model(), s.tokenizer(), 2, 512)) {
            var act = orig.model().config().activation();
            CalibrationStats st = Calibrator.calibrate(orig.transformer(), SelfText.sample(orig, 2048, 100), 0, 512, null);
            Selection.Plan plan = Selection.select(Protection.DEFAULT_RULE, st, act, Protection.DEFAULT_ORDER);
            Path r0 = dir.resolve("unmarked.safetensors"), r1 = dir.resolve("marked.safetensors");
            Protector.protect(orig.model(), plan, Protection.defaultOptions(act), r0, null);
            Protector.protect(Mark.of(AttackMatrix.SECRET, "fidelity").apply(orig.model(), Mark.DEFAULT_STRENGTH), plan,
                    Protection.defaultOptions(act), r1, null);
            List<int[]> held = SelfText.sample(orig, 10240, 7000);
            List<int[]> prompts = new ArrayList<>();
            for (int[] seq : held) {
                for (int off : new int[]{0, 100}) if (seq.length >= off + 12) prompts.add(Arrays.copyOfRange(seq, off, off + 12));
            }
            var tok = orig.model().tokenizer();
            try (Engine e0 = Engine.open(r0, null, 2, 512); Engine e1 = Engine.open(r1, null, 2, 512)) {
                Fidelity.TeacherForced a = Fidelity.teacherForced(e0.transformer(), e1.transformer(), held, null);
                Fidelity.Greedy ga = Fidelity.greedy(e0.transformer(), e1.transformer(), tok, prompts, 32);
                Fidelity.TeacherForced b = Fidelity.teacherForced(orig.transformer(), e1.transformer(), held, null);
                System.out.printf("strength %.1e: vs unmarked release %.6f over %d, greedy %d/%d; marked vs original %.6f%n",
                        Mark.DEFAULT_STRENGTH, a.agreement(), a.positions(), ga.identical(), ga.prompts(), b.agreement());
                assertThat(a.positions()).isGreaterThanOrEqualTo(10000);
                assertThat(ga.prompts()).isGreaterThanOrEqualTo(100);
                assertThat(a.agreement()).isGreaterThanOrEqualTo(0.9999);
                assertThat(ga.identical()).isEqualTo(ga.prompts());
            }
        }
    }
}
