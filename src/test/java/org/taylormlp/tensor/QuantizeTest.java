package org.taylormlp.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuantizeTest {
    private static float[] gaussian(int n, long seed, float scale) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian() * scale;
        return x;
    }

    private static String hex(Tensor t) {
        return HexFormat.of().formatHex(t.data().toArray(ValueLayout.JAVA_BYTE));
    }

    // ------------------------------------------------------------------------------------------ exact bit patterns

    @Test
    void q8_0HandComputedBlockRoundsHalvesAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;           // amax = 127 -> d = 1.0 (f16 0x3c00), id = 1
        x[1] = 2.5f;           // roundf -> 3 (Math.rint would give 2)
        x[2] = -2.5f;          // -> -3 (Math.round would give -2)
        x[3] = 0.49999997f;    // -> 0 (floor(x + 0.5f) in float would give 1)
        x[4] = -127f;          // -> -127
        x[5] = 0.5f;           // -> 1
        x[6] = -0.5f;          // -> -1
        x[7] = 1.4999999f;     // -> 1
        Tensor q = Quantize.quantize(Tensor.ofFloats("q", x, 32), DType.Q8_0);
        assertThat(q.byteSize()).isEqualTo(34);
        assertThat(hex(q)).isEqualTo("003c" + "7f03fd00810 1ff01".replace(" ", "") + "00".repeat(24));
    }

    @Test
    void q8_0ScaleIsStoredAsF16AndQuantsUseTheFloatReciprocal() {
        float[] x = new float[32];
        x[0] = -254f; // amax 254 -> d = 2 (0x4000), id = 0.5
        x[1] = 3f;    // 1.5 -> 2
        x[2] = -1f;   // -0.5 -> -1
        x[3] = 5f;    // 2.5 -> 3
        x[4] = 253f;  // 126.5 -> 127
        Tensor q = Quantize.quantize(Tensor.ofFloats("q", x, 32), DType.Q8_0);
        assertThat(hex(q)).isEqualTo("0040" + "81" + "02" + "ff" + "03" + "7f" + "00".repeat(27));
        assertThat(q.get(0)).isEqualTo(-254f);
        assertThat(q.get(4)).isEqualTo(254f);
    }

    @Test
    void q8_0AllZeroBlockHasZeroScale() {
        Tensor q = Quantize.quantize(Tensor.ofFloats("z", new float[64], 2, 32), DType.Q8_0);
        assertThat(hex(q)).isEqualTo("00".repeat(68));
    }

    @Test
    void q4_0HandComputedBlockWithNegativeMax() {
        float[] x = new float[32];
        java.util.Arrays.fill(x, 0f);
        x[0] = -8f;   // max (first of the two -8s): d = -8 / -8 = 1.0, id = 1
        x[1] = 7f;    // 15.5 -> 15
        x[2] = 7.9f;  // 16.4 -> 16 -> clamped to 15
        x[4] = -0.6f; // 7.9 -> 7 (truncation, not rounding)
        x[5] = 0.5f;  // 9.0 -> 9
        x[16] = -7.5f; // 1.0 -> 1
        x[17] = 3.2f;  // 11.7 -> 11
        x[18] = -8f;   // tie with x[0]: 0.5 -> 0
        // zeros -> 8.5 -> 8; byte j = q[j] | q[j+16] << 4
        Tensor q = Quantize.quantize(Tensor.ofFloats("q", x, 32), DType.Q4_0);
        assertThat(q.byteSize()).isEqualTo(18);
        assertThat(hex(q)).isEqualTo("003c" + "10" + "bf" + "0f" + "88" + "87" + "89" + "88".repeat(10));
        assertThat(q.get(0)).isEqualTo(-8f);
        assertThat(q.get(1)).isEqualTo(7f);
        assertThat(q.get(16)).isEqualTo(-7f);
        assertThat(q.get(17)).isEqualTo(3f);
    }

    @Test
    void q4_0PositiveMaxGivesNegativeScale() {
        float[] x = new float[32];
        x[0] = 8f;   // max = 8 -> d = -1 (f16 0xbc00), id = -1: -8 + 8.5 -> 0
        x[1] = -8f;  // 16.5 -> 16 -> 15
        x[2] = 2f;   // 6.5 -> 6
        Tensor q = Quantize.quantize(Tensor.ofFloats("q", x, 32), DType.Q4_0);
        assertThat(hex(q)).isEqualTo("00bc" + "80" + "8f" + "86" + "88".repeat(13));
        assertThat(q.get(0)).isEqualTo(8f);
        assertThat(q.get(1)).isEqualTo(-7f);
        assertThat(q.get(2)).isEqualTo(2f);
    }

    @Test
    void bf16RoundsToNearestEvenLikeGgml() {
        assertThat(bf16(1.0f)).isEqualTo(0x3f80);
        assertThat(bf16(Float.intBitsToFloat(0x3f808000))).isEqualTo(0x3f80); // tie, even -> down
        assertThat(bf16(Float.intBitsToFloat(0x3f818000))).isEqualTo(0x3f82); // tie, odd -> up
        assertThat(bf16(Float.intBitsToFloat(0x3f808001))).isEqualTo(0x3f81); // above tie -> up
        assertThat(bf16(1f / 3)).isEqualTo(0x3eab);
        assertThat(bf16(-0f)).isEqualTo(0x8000);
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo(0x7f80); // rounds to +inf
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
        assertThat(bf16(Float.intBitsToFloat(0x00000001))).isEqualTo(0x0000); // tiny subnormal -> +0
    }

    @Test
    void bf16KeepsNaNsNaNAndQuiet() {
        assertThat(bf16(Float.intBitsToFloat(0x7f800001))).isEqualTo(0x7fc0); // signalling, payload only in low bits
        assertThat(bf16(Float.intBitsToFloat(0xff800001))).isEqualTo(0xffc0);
        assertThat(bf16(Float.intBitsToFloat(0x7fc00000))).isEqualTo(0x7fc0);
        assertThat(bf16(Float.intBitsToFloat(0x7fffffff))).isEqualTo(0x7fff); // no rounding carry into the sign
    }

    private static int bf16(float f) {
        return Quantize.fp32ToBf16(f) & 0xffff;
    }

    @Test
    void f16RoundsToNearestEven() {
        Tensor h = Quantize.quantize(Tensor.ofFloats("h", new float[] {1f / 3, 65519f, 65520f, 0x1p-24f, 0x1p-25f, -2f}, 6),
                DType.F16);
        assertThat(hex(h)).isEqualTo("5535" + "ff7b" + "007c" + "0100" + "0000" + "00c0");
    }

    @Test
    void roundfMatchesC() {
        assertThat(Quantize.roundf(2.5f)).isEqualTo(3f);
        assertThat(Quantize.roundf(-2.5f)).isEqualTo(-3f);
        assertThat(Quantize.roundf(0.49999997f)).isEqualTo(0f);
        assertThat(Quantize.roundf(-0.49999997f)).isEqualTo(-0f);
        assertThat(Quantize.roundf(8388609f)).isEqualTo(8388609f);
        assertThat(Quantize.roundf(-126.5f)).isEqualTo(-127f);
    }

    // ------------------------------------------------------------------------------------------ error bounds

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"}) // the others: KQuantsTest
    void dequantizeQuantizeErrorIsBounded(DType dt) {
        int rows = 7, cols = 96;
        float[] x = gaussian(rows * cols, 42, 3f);
        x[5] = 0f;
        x[100] = 1e-30f;
        Tensor src = Tensor.ofFloats("w", x, rows, cols);
        Tensor q = Quantize.quantize(src, dt);
        assertThat(q.shape()).containsExactly(rows, cols);
        assertThat(q.dtype()).isEqualTo(dt);
        assertThat(q.byteSize()).isEqualTo(dt.bytesFor(rows * cols));
        float[] y = Quantize.dequantize(q).toFloats();
        for (int b = 0; b < x.length / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                double err = Math.abs(x[i] - y[i]);
                double bound = switch (dt) {
                    case F32 -> 0;
                    case F16 -> Math.abs(x[i]) * 0x1p-11 + 0x1p-25; // half an ulp, relative 2^-11 (+ subnormals)
                    case BF16 -> Math.abs(x[i]) * 0x1p-8;
                    // half a step d = amax/127, plus |q| * the f16 rounding error of d
                    case Q8_0 -> amax / 127.0 * (0.5 + 127 * 0x1p-11) * 1.0001;
                    // a full step d = amax/8 (values opposite to max clamp at q = 15), plus f16 error of d
                    case Q4_0 -> amax / 8.0 * (1 + 8 * 0x1p-11) * 1.0001;
                    default -> throw new AssertionError(dt);
                };
                assertThat(err).as("%s element %d: %s -> %s", dt, i, x[i], y[i]).isLessThanOrEqualTo(bound);
            }
        }
    }

    @Test
    void quantizedValuesDecodeIdenticallyThroughTensorGet() {
        float[] x = gaussian(64, 3, 1f);
        for (DType dt : new DType[] {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0}) { // others: KQuantsTest
            Tensor q = Quantize.quantize(Tensor.ofFloats("w", x, 2, 32), dt);
            Tensor f = Quantize.dequantize(q);
            for (int i = 0; i < 64; i++) assertThat(f.get(i)).isEqualTo(q.get(i));
        }
    }

    @Test
    void largeTensorsAreProcessedInChunksConsistentlyWithSingleRows() {
        int rows = 5, cols = 40_000 - 40_000 % 32; // several 64K-float chunks
        float[] x = gaussian(rows * cols, 9, 1f);
        Tensor q = Quantize.quantize(Tensor.ofFloats("big", x, rows, cols), DType.Q4_0);
        var row = java.lang.foreign.Arena.ofAuto().allocate(DType.Q4_0.bytesFor(cols));
        for (int r = 0; r < rows; r++) {
            Quantize.quantizeRowQ4_0(x, r * cols, cols, row, 0);
            long rowBytes = DType.Q4_0.bytesFor(cols);
            assertThat(q.data().asSlice(r * rowBytes, rowBytes).mismatch(row)).as("row %d", r).isEqualTo(-1);
        }
    }

    @Test
    void quantizingFromF16SourceUsesItsValues() {
        float[] x = gaussian(32, 5, 1f);
        Tensor h = Quantize.quantize(Tensor.ofFloats("h", x, 32), DType.F16);
        Tensor viaF16 = Quantize.quantize(h, DType.Q8_0);
        Tensor direct = Quantize.quantize(Tensor.ofFloats("h", h.toFloats(), 32), DType.Q8_0);
        assertThat(hex(viaF16)).isEqualTo(hex(direct));
    }

    @Test
    void sameDtypeIsReturnedAsIs() {
        Tensor t = Tensor.ofFloats("t", new float[] {1, 2}, 2);
        assertThat(Quantize.quantize(t, DType.F32)).isSameAs(t);
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRejected() {
        Tensor t = Tensor.ofFloats("odd", new float[64], 4, 16); // 64 elements, but rows of 16
        assertThatThrownBy(() -> Quantize.quantize(t, DType.Q8_0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("odd").hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> Quantize.quantize(t, DType.Q4_0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Quantize.quantize(t, DType.F16).shape()).containsExactly(4, 16); // fine for float types
        assertThatThrownBy(() -> Quantize.quantizeRowQ8_0(new float[40], 0, 40, null, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
