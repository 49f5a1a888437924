package org.taylormlp.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.ModelStore;
import org.taylormlp.synth.SyntheticModels;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fingerprint's attack suite (docs/SECURITY.md, "Fingerprinted releases"): for each model, releases for two of
 * 16 recipients, suspects (a)-(g) derived from them, every suspect traced against all 16. Targets: the source's
 * z ≥ 10 in (a)-(f) (both colluders in (e)), no other recipient ≥ 5 anywhere, no verdict for the unmarked original
 * or for 100 copies marked for recipients outside the list, and a z of non-sources with mean ≈ 0 and sd ≈ 1
 * over 100 random recipient IDs.
 */
class TraceMatrixTest {
    /**
     * The tiny synthetic models have 0.3-0.6 M marked weights against stories15M's 6 M; a Q4_0 copy's z grows
     * with strength·√n, so they are marked at 0.008 (their fidelity is not what is tested here).
     */
    static final double SYNTHETIC_STRENGTH = 0.008;

    /** (g)'s copies marked for recipients outside the list: 100 on the Llama model (the check is the same on every family). */
    static final int OTHERS = 100;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(SyntheticModels.Family.class)
    void syntheticFamilies(SyntheticModels.Family family) throws Exception {
        Path gguf = dir.resolve(family + ".gguf");
        SyntheticModels.write(SyntheticModels.tiny(family), "gguf", gguf, Long.MAX_VALUE);
        try (Engine orig = Engine.open(gguf, null, 1, 256)) {
            var m = orig.model();
            AttackMatrix mx = new AttackMatrix();
            mx.run(orig, "radius:0.9", 48, 1024, SYNTHETIC_STRENGTH, dir);
            double maxOther = family == SyntheticModels.Family.LLAMA ? mx.otherRecipients(m, SYNTHETIC_STRENGTH, OTHERS) : 0;
            System.out.println(mx.table(family + " (tiny synthetic), strength " + SYNTHETIC_STRENGTH));
            mx.assertTargets();
            assertThat(maxOther).as("(g) copies for other recipients: no verdict, max z").isLessThan(5);
        }
    }

    /**
     * stories15M, full matrix, marked at {@link #STRONG} (an explicit {@code --mark-strength}, 40x the default): the
     * figures docs/SECURITY.md reports for a strong mark. Costs fidelity.
     */
    static final double STRONG = 2e-3;

    @Test
    @org.junit.jupiter.api.Tag("slow")
    void stories15MStrongMark() throws Exception {
        ModelStore.Located s = ModelStore.stories15M(null);
        try (Engine orig = Engine.open(s.model(), s.tokenizer(), 2, 512)) {
            AttackMatrix mx = new AttackMatrix();
            mx.run(orig, org.taylormlp.taylor.Protection.DEFAULT_RULE, org.taylormlp.taylor.Protection.DEFAULT_ORDER, 1024, STRONG, dir);
            System.out.println(mx.table("stories15M, default preset, strength " + STRONG));
            mx.assertTargets();
        }
    }

    /**
     * stories15M at the default (fidelity-preserving) strength, full matrix: every attack is traced, the F16, BF16,
     * Q8_0 and Q4_0 copies by the grid statistic ({@link Tracer#gridCoefficients}), the others by the residual one.
     * Fidelity at this strength: {@code DefaultPresetFidelityTest} (held-out TinyStories) and {@link MarkFidelityTest}.
     */
    @Test
    void stories15MDefaultStrength() throws Exception {
        ModelStore.Located s = ModelStore.stories15M(null);
        try (Engine orig = Engine.open(s.model(), s.tokenizer(), 2, 512)) {
            AttackMatrix mx = new AttackMatrix();
            mx.run(orig, org.taylormlp.taylor.Protection.DEFAULT_RULE, org.taylormlp.taylor.Protection.DEFAULT_ORDER, 1024,
                    Mark.DEFAULT_STRENGTH, dir);
            System.out.println(mx.table("stories15M, default preset, default strength " + Mark.DEFAULT_STRENGTH));
            mx.assertTargets();
            for (AttackMatrix.Row r : mx.rows) {
                if (r.attack().startsWith("(c)")) {
                    assertThat(r.result().aligned().get("statistic")).as(r.attack()).asString().startsWith("grid");
                }
            }
        }
    }
}
