package org.taylormlp.trace;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The grid statistic's derivation ({@link Tracer#gridCoefficients}), checked element by element: a matrix marked
 * w + ε|w|s and rounded by ggml's rules differs from the rounded unmarked matrix by one level exactly where the
 * mark crossed a boundary, always in the direction the derivation names, and nowhere else.
 */
class GridStatisticTest {
    static final int ROWS = 64, COLS = 256;

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16", "Q8_0", "Q4_0"})
    void everyLevelChangeHasTheSignOfTheMark(DType t) {
        SplittableRandom rnd = new SplittableRandom(t.ordinal() * 31L + 5);
        float[] w = new float[ROWS * COLS], marked = new float[w.length];
        int[] s = new int[w.length];
        // small enough that a mark moves a weight by at most one level (F16's step is 2^-10..2^-11 relative)
        double eps = t == DType.F16 ? 2e-4 : 1e-3;
        for (int i = 0; i < w.length; i++) {
            // Gaussian weights, with some blocks of all-negative or all-positive values (Q4_0's scale takes the sign of the block maximum)
            double g = rnd.nextGaussian() * 0.02;
            w[i] = (float) ((i / 32) % 7 == 3 ? -Math.abs(g) : (i / 32) % 7 == 5 ? Math.abs(g) : g);
            s[i] = rnd.nextBoolean() ? 1 : -1;
            marked[i] = (float) (w[i] + eps * Math.abs(w[i]) * s[i]);
        }
        Tensor copy = Quantize.quantize(Tensor.ofFloats("m", marked, ROWS, COLS), t);
        float[] d = new float[w.length];
        long steps = Tracer.gridCoefficients(w, copy, d);
        long agree = 0, nonzero = 0;
        for (int i = 0; i < w.length; i++) {
            if (d[i] == 0) continue;
            nonzero++;
            if (d[i] == s[i]) agree++;
        }
        assertThat(steps).as("level changes").isEqualTo(nonzero).isGreaterThan(30);
        assertThat(agree).as("changes in the direction of the mark, of " + steps).isEqualTo(steps);

        Tensor unmarked = Quantize.quantize(Tensor.ofFloats("u", w, ROWS, COLS), t);
        assertThat(Tracer.gridCoefficients(w, unmarked, new float[w.length])).as("the unmarked copy: no level changes").isZero();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void aCopyRoundedFromSomethingElseIsNotScoredByTheGrid(DType t) {
        SplittableRandom rnd = new SplittableRandom(9);
        float[] w = new float[ROWS * COLS], scaled = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (rnd.nextGaussian() * 0.02);
            scaled[i] = w[i] * 1.01f;
        }
        Tensor copy = Quantize.quantize(Tensor.ofFloats("c", scaled, ROWS, COLS), t);
        assertThat(Tracer.gridCoefficients(w, copy, new float[w.length])).isEqualTo(-1);
        assertThat(Tracer.gridCoefficients(w, Tensor.ofFloats("f", scaled, ROWS, COLS), new float[w.length])).as("F32: no grid").isEqualTo(-1);
    }
}
