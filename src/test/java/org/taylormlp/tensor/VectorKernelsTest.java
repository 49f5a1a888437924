package org.taylormlp.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.taylormlp.tensor.TestTensors.bound;
import static org.taylormlp.tensor.TestTensors.truth;
import static org.taylormlp.tensor.TestTensors.vectorDepth;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.taylormlp.tensor.TestTensors.Storage;

/**
 * {@link VectorKernels} against the double-precision truth computed from {@link Tensor#get} (the layout oracle)
 * and against {@link ScalarKernels}, for every dtype, odd shapes, unaligned heap / native / mapped segments, and
 * 1 and 2 threads (the 2-thread instance sends even tiny products through the pool).
 */
class VectorKernelsTest {
    @TempDir
    static Path dir;

    static final VectorKernels K1 = new VectorKernels(1);
    static final VectorKernels K2 = new VectorKernels(2, 1, 1);
    static final VectorKernels[] ALL = {K1, K2};

    @AfterAll
    static void close() {
        K1.pool().close();
        K2.pool().close();
    }

    static int[][] shapes(DType t) {
        if (t.quantized()) {
            return new int[][] {{1, 32}, {3, 64}, {7, 96}, {2, 160}, {33, 288}, {13, 768}, {9, 4096}};
        }
        return new int[][] {{1, 1}, {1, 3}, {3, 17}, {7, 31}, {5, 33}, {2, 47}, {9, 100}, {4, 64}, {33, 257},
                {130, 288}, {3, 1000}, {9, 4096}};
    }

    /** {@code cols} rounded up to whole blocks of {@code t} (the K-quants' 256-element super-blocks). */
    static int fit(DType t, int cols) {
        int b = t.blockSize();
        return (cols + b - 1) / b * b;
    }

    /** Cycles through storage kinds and misalignments so every shape sees several. */
    static Storage storage(int k) {
        return Storage.values()[k % Storage.values().length];
    }

    /**
     * Q8_0 at the integer extremes: weights −128 and 127 against activations that round to ±127 with scale 1, so
     * every 16-bit lane of the integer kernels holds the largest products (|−128·−127| = 16256) and a lane pair the
     * largest sums (±32512): the folds into 32-bit lanes must not overflow. Rows in a pair and an odd last row.
     */
    @Test
    void q8_0ProductsAtTheIntegerExtremesAreExact() {
        int rows = 5, cols = 288, blocks = cols / 32;
        byte[] bytes = new byte[rows * blocks * 34];
        float[] x = new float[cols];
        for (int c = 0; c < cols; c++) x[c] = (c / 32 + c) % 3 == 0 ? 127f : -127f; // amax 127: scale 1, q = x
        double[] expect = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                int o = (r * blocks + b) * 34;
                bytes[o] = 0x00;
                bytes[o + 1] = 0x3c; // f16 1.0
                for (int j = 0; j < 32; j++) {
                    int c = 32 * b + j;
                    // row 0 all −128, row 1 all 127, the others the sign of x (or against it) so that sums are extreme
                    int q = r == 0 ? -128 : r == 1 ? 127 : ((r % 2 == 0) == (x[c] > 0) ? 127 : -128);
                    bytes[o + 2 + j] = (byte) q;
                    expect[r] += (double) q * x[c];
                }
            }
        }
        for (int k = 0; k < 3; k++) {
            Tensor w = TestTensors.tensor(DType.Q8_0, rows, cols, bytes, storage(k), k, dir);
            float[] scalar = new float[rows];
            ScalarKernels.INSTANCE.matvec(w, x, 0, scalar, 0, 0, rows);
            for (VectorKernels kk : ALL) {
                float[] out = new float[rows];
                kk.matvec(w, x, out);
                for (int r = 0; r < rows; r++) {
                    assertThat((double) out[r]).as("row %d, %s", r, kk.describe()).isEqualTo(expect[r]);
                    assertThat((double) scalar[r]).as("scalar row %d", r).isEqualTo(expect[r]);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matvecIsExactOnIntegerValuedData(DType t) {
        Random rnd = new Random(42 + t.ordinal());
        int k = 0;
        for (int[] shape : shapes(t)) {
            int rows = shape[0], cols = fit(t, shape[1]);
            byte[] bytes = TestTensors.integerValued(t, rows, cols, rnd);
            for (int misalign = 0; misalign < 4; misalign++, k++) {
                Tensor w = TestTensors.tensor(t, rows, cols, bytes, storage(k), misalign, dir);
                int xOff = misalign * 5;
                float[] x = TestTensors.integers(rnd, cols + xOff + 3, 4);
                TestTensors.keepIntegersThroughRounding(t, x, xOff, cols);
                float[] expect = new float[rows];
                for (int r = 0; r < rows; r++) expect[r] = (float) truth(w, x, xOff, r)[0];
                float[] scalar = new float[rows];
                ScalarKernels.INSTANCE.matvec(w, x, xOff, scalar, 0, 0, rows);
                assertThat(scalar).as("scalar %s %dx%d", t, rows, cols).containsExactly(expect);
                for (VectorKernels kk : ALL) {
                    float[] out = new float[rows + 2];
                    out[rows + 1] = 7f;
                    kk.matvec(w, x, xOff, out, 1, 0, rows);
                    float[] got = java.util.Arrays.copyOfRange(out, 1, rows + 1);
                    assertThat(got).as("%s %s %dx%d %s+%d", kk.describe(), t, rows, cols, storage(k), misalign)
                            .containsExactly(expect);
                    assertThat(out[0]).isZero();
                    assertThat(out[rows + 1]).isEqualTo(7f);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matvecOnGaussianDataIsWithinTheSummationBound(DType t) {
        Random rnd = new Random(7 + t.ordinal());
        int k = 0;
        for (int[] shape : shapes(t)) {
            int rows = shape[0], cols = fit(t, shape[1]);
            byte[] bytes = TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 0.05));
            Tensor w = TestTensors.tensor(t, rows, cols, bytes, storage(k), k % 4, dir);
            k++;
            float[] x = TestTensors.gaussian(rnd, cols, 1.0);
            float[] scalar = new float[rows];
            ScalarKernels.INSTANCE.matvec(w, x, 0, scalar, 0, 0, rows);
            float[] v1 = new float[rows], v2 = new float[rows];
            K1.matvec(w, x, v1);
            K2.matvec(w, x, v2);
            for (int r = 0; r < rows; r++) {
                double[] ts = truth(w, x, 0, r);
                assertThat((double) scalar[r]).as("scalar row %d", r).isCloseTo(ts[0], org.assertj.core.data.Offset.offset(bound(cols, ts[1])));
                assertThat((double) v1[r]).as("%s %dx%d row %d", t, rows, cols, r)
                        .isCloseTo(ts[0], org.assertj.core.data.Offset.offset(bound(vectorDepth(cols), ts[1])));
            }
            // Each row is computed by the same code whatever the thread: results must not depend on threads.
            assertThat(v2).containsExactly(v1);
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matvecOfARowRangeWritesOnlyThoseRows(DType t) {
        Random rnd = new Random(3);
        int rows = 37, cols = fit(t, t.quantized() ? 64 : 45);
        Tensor w = TestTensors.tensor(t, rows, cols, TestTensors.integerValued(t, rows, cols, rnd), Storage.NATIVE, 1, dir);
        float[] x = TestTensors.integers(rnd, cols + 2, 3);
        TestTensors.keepIntegersThroughRounding(t, x, 2, cols);
        for (VectorKernels kk : ALL) {
            float[] out = new float[20];
            java.util.Arrays.fill(out, -1f);
            kk.matvec(w, x, 2, out, 3, 11, 15);
            for (int i = 0; i < out.length; i++) {
                float e = i >= 3 && i < 18 ? (float) truth(w, x, 2, 11 + i - 3)[0] : -1f;
                assertThat(out[i]).as("out[%d]", i).isEqualTo(e);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulEqualsPerRowProducts(DType t) {
        Random rnd = new Random(11 + t.ordinal());
        int[][] shapes = t.quantized() ? new int[][] {{5, 32}, {19, 96}, {64, 288}} : new int[][] {{5, 7}, {19, 33}, {64, 288}};
        int k = 0;
        for (int[] shape : shapes) {
            int rows = shape[0], cols = fit(t, shape[1]);
            byte[] ints = TestTensors.integerValued(t, rows, cols, rnd);
            byte[] gauss = TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 0.05));
            for (int batch : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 13}) {
                Tensor wi = TestTensors.tensor(t, rows, cols, ints, storage(k), k % 4, dir);
                Tensor wg = TestTensors.tensor(t, rows, cols, gauss, storage(k + 1), (k + 1) % 4, dir);
                k++;
                float[] xi = TestTensors.integers(rnd, batch * cols, 4);
                for (int b = 0; b < batch; b++) TestTensors.keepIntegersThroughRounding(t, xi, b * cols, cols);
                float[] xg = TestTensors.gaussian(rnd, batch * cols, 1.0);
                for (VectorKernels kk : ALL) {
                    float[] oi = new float[batch * rows], og = new float[batch * rows];
                    kk.matmul(wi, xi, batch, oi);
                    kk.matmul(wg, xg, batch, og);
                    for (int b = 0; b < batch; b++) {
                        for (int r = 0; r < rows; r++) {
                            assertThat(oi[b * rows + r]).as("%s %dx%d batch %d [%d,%d]", t, rows, cols, batch, b, r)
                                    .isEqualTo((float) truth(wi, xi, b * cols, r)[0]);
                            double[] ts = truth(wg, xg, b * cols, r);
                            assertThat((double) og[b * rows + r]).as("gaussian [%d,%d]", b, r)
                                    .isCloseTo(ts[0], org.assertj.core.data.Offset.offset(bound(vectorDepth(cols), ts[1])));
                        }
                    }
                }
            }
        }
    }

    /**
     * The batched product (Gemm) is within the float rounding bound of the exact sum for every output (each output is
     * one sequential sum over the columns, plus one rounding of the dequantized weight and one per column block),
     * and does not depend on the batch split or the number of threads. Shapes cover partial row tiles (7, 33, 9 rows),
     * partial token tiles and two column blocks (rows wider than {@code Gemm.KC}).
     */
    @ParameterizedTest
    @EnumSource(DType.class)
    void matmulIsWithinTheRoundingBoundWhateverTheSplit(DType t) {
        Random rnd = new Random(23 + t.ordinal());
        int[][] shapes = t.quantized() ? new int[][] {{7, 32}, {33, 288}, {9, 4096}, {3, Gemm.KC + 256}}
                : new int[][] {{7, 5}, {33, 283}, {9, 4100}, {3, Gemm.KC + 5}};
        int k = 0;
        for (int[] shape : shapes) {
            int rows = shape[0], cols = fit(t, shape[1]);
            Tensor w = TestTensors.tensor(t, rows, cols, TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 0.05)),
                    storage(k), k % 4, dir);
            k++;
            for (int batch : new int[] {2, 4, 5, 8, 11, 17, 40}) {
                float[] x = TestTensors.gaussian(rnd, batch * cols, 1.0);
                float[] ref = null;
                for (VectorKernels kk : ALL) {
                    float[] mm = new float[batch * rows];
                    kk.matmul(w, x, batch, mm);
                    if (ref == null) {
                        ref = mm;
                        for (int b = 0; b < batch; b++) {
                            for (int r = 0; r < rows; r++) {
                                double[] tr = truth(w, x, b * cols, r);
                                assertThat(Math.abs(mm[b * rows + r] - tr[0])).as("%s %dx%d batch %d row %d token %d", t, rows, cols, batch, r, b)
                                        .isLessThanOrEqualTo(bound(cols + cols / 512 + 2, tr[1]));
                            }
                        }
                        // the first two tokens as a batch of their own: the same bits
                        float[] two = new float[2 * rows];
                        kk.matmul(w, Arrays.copyOf(x, 2 * cols), 2, two);
                        assertThat(two).as("%s batch split", t).containsExactly(Arrays.copyOf(mm, 2 * rows));
                    } else {
                        assertThat(mm).as("%s %dx%d batch %d on 2 threads", t, rows, cols, batch).containsExactly(ref);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void twoRowLoopsEqualTheSingleRowKernelsBitForBit(DType t) {
        Random rnd = new Random(31 + t.ordinal());
        int[][] shapes = t.quantized() ? new int[][] {{1, 32}, {6, 64}, {33, 288}, {8, 4096}}
                : new int[][] {{1, 5}, {2, 17}, {7, 64}, {33, 283}, {8, 4100}};
        VectorKernels kk = new VectorKernels(1);
        try {
            int k = 0;
            for (int[] shape : shapes) {
                int rows = shape[0], cols = fit(t, shape[1]);
                Tensor w = TestTensors.tensor(t, rows, cols, TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 0.05)),
                        storage(k), k % 4, dir);
                k++;
                float[] x = TestTensors.gaussian(rnd, cols + 3, 1.0);
                // every row range, so pairs start on even and odd rows and the odd last row is covered
                for (int r0 = 0; r0 < rows; r0 += Math.max(1, rows / 5)) {
                    for (int n = 1; r0 + n <= rows; n += Math.max(1, rows / 4)) {
                        float[] pair = new float[n], single = new float[n];
                        kk.pairRows(Boolean.TRUE);
                        kk.matvec(w, x, 3, pair, 0, r0, n);
                        kk.pairRows(Boolean.FALSE);
                        kk.matvec(w, x, 3, single, 0, r0, n);
                        for (int i = 0; i < n; i++) {
                            assertThat(Float.floatToRawIntBits(pair[i])).as("%s %dx%d row %d", t, rows, cols, r0 + i)
                                    .isEqualTo(Float.floatToRawIntBits(single[i]));
                        }
                    }
                }
            }
        } finally {
            kk.pool().close();
        }
    }

    @Test
    void theWorkingSetHintPicksTheChunkSize() {
        VectorKernels kk = new VectorKernels(2);
        try {
            long bf16 = 2 * 4096;
            kk.hintWorkingSet(VectorKernels.CACHE_BYTES);
            assertThat(kk.grain(28672, 4096, bf16)).as("cache-resident: four chunks per thread").isEqualTo(28672 / 8);
            kk.hintWorkingSet(VectorKernels.CACHE_BYTES + 1);
            assertThat(kk.grain(131072, 4096, bf16)).as("streamed: sixteen chunks per thread").isEqualTo(131072 / 32);
            assertThat(kk.grain(28672, 4096, bf16)).as("streamed, but chunks of at least 8 MiB").isEqualTo((8 << 20) / bf16);
            assertThat(kk.grain(768, 288, 4 * 288)).as("streamed small product: four chunks per thread").isEqualTo(768 / 8);
            assertThat(kk.grain(64, 288, 4 * 288)).as("never below the smallest chunk").isEqualTo(4096 / 288);
        } finally {
            kk.pool().close();
        }
    }

    @Test
    void fusedProductsEqualSeparateOnes() {
        Random rnd = new Random(5);
        int cols = 96;
        Tensor a = TestTensors.tensor(DType.Q8_0, 70, cols, TestTensors.encode(DType.Q8_0, TestTensors.gaussian(rnd, 70 * cols, 0.1)), Storage.NATIVE, 0, dir);
        Tensor b = TestTensors.tensor(DType.F16, 33, cols, TestTensors.encode(DType.F16, TestTensors.gaussian(rnd, 33 * cols, 0.1)), Storage.HEAP_BYTES, 3, dir);
        Tensor c = TestTensors.tensor(DType.Q4_0, 5, cols, TestTensors.encode(DType.Q4_0, TestTensors.gaussian(rnd, 5 * cols, 0.1)), Storage.MAPPED, 2, dir);
        float[] x = TestTensors.gaussian(rnd, cols, 1);
        float[] ea = new float[70], eb = new float[33], ec = new float[5];
        K1.matvec(a, x, ea);
        K1.matvec(b, x, eb);
        K1.matvec(c, x, ec);
        for (Kernels kk : new Kernels[] {K1, K2, ScalarKernels.INSTANCE}) {
            float[] oa = new float[70], ob = new float[33], oc = new float[5];
            kk.matvec2(a, b, x, oa, ob);
            if (kk != ScalarKernels.INSTANCE) { // the vector kernels: bit for bit
                assertThat(oa).containsExactly(ea);
                assertThat(ob).containsExactly(eb);
            }
            java.util.Arrays.fill(oa, 0f);
            java.util.Arrays.fill(ob, 0f);
            kk.matvec3(a, b, c, x, oa, ob, oc);
            if (kk != ScalarKernels.INSTANCE) {
                assertThat(oa).containsExactly(ea);
                assertThat(ob).containsExactly(eb);
                assertThat(oc).containsExactly(ec);
            } else {
                for (int r = 0; r < 5; r++) {
                    double[] ts = truth(c, x, 0, r);
                    assertThat((double) oc[r]).isCloseTo(ts[0], org.assertj.core.data.Offset.offset(bound(cols, ts[1])));
                }
            }
        }
        Tensor narrow = TestTensors.tensor(DType.F32, 2, 64, new byte[2 * 64 * 4], Storage.NATIVE, 0, dir);
        assertThatThrownBy(() -> K2.matvec2(a, narrow, x, new float[70], new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void halfFloatConversionIsBitExactForAllPatterns() {
        ByteBuffer bb = ByteBuffer.allocate(65536 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 65536; i++) bb.putShort((short) i);
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            Tensor w = TestTensors.tensor(t, 2048, 32, bb.array(), Storage.NATIVE, 1, dir);
            float[] row = new float[32];
            for (int r = 0; r < 2048; r++) {
                K1.embedding(w, r, row);
                for (int j = 0; j < 32; j++) {
                    short h = (short) (r * 32 + j);
                    float e = t == DType.F16 ? Float.float16ToFloat(h) : Float.intBitsToFloat(h << 16);
                    // NaNs only need to stay NaN (Float.float16ToFloat quiets them; the vector path keeps the payload).
                    boolean same = Float.isNaN(e) ? Float.isNaN(row[j])
                            : Float.floatToRawIntBits(row[j]) == Float.floatToRawIntBits(e);
                    if (!same) {
                        throw new AssertionError(t + " 0x" + Integer.toHexString(h & 0xffff) + ": got " + row[j] + " expected " + e);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void embeddingMatchesTensorGet(DType t) {
        Random rnd = new Random(9);
        int rows = 6, cols = fit(t, t.quantized() ? 96 : 45);
        Tensor w = TestTensors.tensor(t, rows, cols, TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 1)), Storage.MAPPED, 3, dir);
        for (int r = 0; r < rows; r++) {
            float[] got = new float[cols + 1], expect = new float[cols];
            K1.embedding(w, r, got);
            w.readRow(r, expect);
            assertThat(java.util.Arrays.copyOf(got, cols)).containsExactly(expect);
        }
    }

    @Test
    void floatArrayBackedHeapSegmentsWork() {
        Random rnd = new Random(1);
        float[] vals = TestTensors.gaussian(rnd, 21 * 37, 1);
        Tensor w = new Tensor("w", DType.F32, new long[] {21, 37}, MemorySegment.ofArray(vals));
        float[] x = TestTensors.gaussian(rnd, 37, 1);
        float[] out = new float[21];
        K2.matvec(w, x, out);
        for (int r = 0; r < 21; r++) {
            double[] ts = truth(w, x, 0, r);
            assertThat((double) out[r]).isCloseTo(ts[0], org.assertj.core.data.Offset.offset(bound(vectorDepth(37), ts[1])));
        }
    }

    @Test
    void rejectsBadArguments() {
        Tensor q = new Tensor("q", DType.Q8_0, new long[] {2, 48}, MemorySegment.ofArray(new byte[3 * 34]));
        assertThatThrownBy(() -> K1.matvec(q, new float[48], new float[2])).isInstanceOf(IllegalArgumentException.class);
        Tensor f = Tensor.ofFloats("f", new float[12], 3, 4);
        assertThatThrownBy(() -> K1.matvec(f, new float[4], 0, new float[3], 0, 1, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> K2.matvec(f, new float[3], new float[3])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> K2.matvec(f, new float[4], new float[2])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> K2.matmul(f, new float[8], 2, new float[5])).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * Callers on several threads, each with its own activations, share the pool: Q4_0, and Q8_0 whose products round
     * the activations into per-thread buffers (one caller's rounding must never leak into another's product).
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q4_0", "Q8_0"})
    void concurrentCallersShareThePoolSafely(DType t) throws Exception {
        Random rnd = new Random(2);
        int rows = 200, cols = 128;
        Tensor w = TestTensors.tensor(t, rows, cols, TestTensors.integerValued(t, rows, cols, rnd), Storage.NATIVE, 0, dir);
        List<Thread> callers = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < 3; c++) {
            float[] x = TestTensors.gaussian(rnd, cols, 1.0);
            float[] expect = new float[rows];
            K1.matvec(w, x, expect);
            Thread th = new Thread(() -> {
                try {
                    float[] out = new float[rows];
                    for (int i = 0; i < 300; i++) {
                        K2.matvec(w, x, out);
                        assertThat(out).containsExactly(expect);
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            callers.add(th);
        }
        for (Thread th : callers) th.start();
        for (Thread th : callers) th.join();
        assertThat(errors).isEmpty();
    }

    @Test
    void widthFollowsTheProperty() {
        // with the property (the vector-256/512/128 re-runs) that width; without it the platform's preferred width,
        // raised to 128 bits where the preferred species is narrower
        String bits = System.getProperty("taylormlp.vectorBits");
        int expected = bits != null && !bits.isBlank() ? Integer.parseInt(bits.trim())
                : Math.max(128, jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        assertThat(VectorKernels.vectorBits()).isEqualTo(expected);
    }

    @Test
    void describeNamesBackendWidthAndThreads() {
        assertThat(K2.describe()).contains("vector").contains(VectorKernels.vectorBits() + "-bit").contains("2 threads");
        assertThat(K2.threads()).isEqualTo(2);
    }
}
