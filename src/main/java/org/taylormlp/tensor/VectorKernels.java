package org.taylormlp.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels ({@code jdk.incubator.vector}) over weights in F32, F16, BF16, Q8_0 and Q4_0 (the other block
 * types, Q4_1/Q5_0/Q5_1 and the K-quants, through {@link KQuants}), multi-threaded over rows by a fixed
 * {@link Parallel} pool.
 *
 * <p>Width: {@code FloatVector.SPECIES_PREFERRED}, or {@code -Dtaylormlp.vectorBits=128|256|512}; read once when
 * the class initializes (the species must be a static constant for the JIT to compile the vector code).
 *
 * <p>How each dtype is computed. Products with quantized weights take the activations rounded to 8 bits per block
 * of 32, as llama.cpp's do ({@link ActivationRounding}); F32/F16/BF16 the activations as they are. Results differ
 * from the exact dot product of the dequantized weights with those activations only by float rounding, like the
 * scalar reference:
 * <ul>
 *   <li>F32: four independent accumulators of {@code L} lanes.</li>
 *   <li>F16: shorts are sign-extended to int lanes and converted by bit manipulation (exponent/mantissa shifted
 *       into place and multiplied by 2^112, which also handles subnormals exactly; Inf/NaN patched by a masked
 *       OR, NaN payloads kept unquieted; sign OR'ed back). JDK 25's Vector API has no half-float lane conversion,
 *       and a scalar {@code Float.float16ToFloat} staging loop measured 3x slower.</li>
 *   <li>BF16: shorts sign-extended to int lanes, shifted left 16, reinterpreted as floats.</li>
 *   <li>Q8_0: int8 weights times the int8 activations in 16-bit lanes, an exact integer sum per block, scaled
 *       once per block by both scales ({@link #rowsQ8x}). Q5_0 is repacked as Q8_0 when the model is wired
 *       ({@link #prepare}).</li>
 *   <li>Q4_K with 256-bit vectors, Q6_K with 256-bit or wider ones (in 256-bit vectors): the same integer form
 *       ({@link KQuants#dotQ4Kx}, {@link KQuants#dotQ6Kx}).</li>
 *   <li>Q4_0: the 16 bytes of a block are split into low nibbles (elements 0..15) and high nibbles (16..31),
 *       8 is subtracted in the byte lanes, then int8 lanes converted to float lanes ({@code B2F}), block sum by
 *       FMAs with the rounded activations as floats, scaled once per block by the f16 scale. The other types
 *       (Q4_1, Q5_1, Q5_K, unprepared Q5_0, and Q4_K/Q6_K on other vector widths) likewise in float on the
 *       rounded values ({@link KQuants}).</li>
 * </ul>
 * Matrix-vector products run two rows per step, each thread pairing the first half of its chunk of rows with
 * the second so that it reads two sequential streams ({@link #rows}); each row's sum has the same bits as its
 * single-row kernel's.
 *
 * <p>The weight data is read with unaligned little-endian vector loads from the tensor's {@link MemorySegment}
 * (mapped, native or heap, any alignment). Every row is computed by the same code whatever thread runs it, so
 * results do not depend on the number of threads.
 *
 * <p>{@link #matmul}, {@link #matmul2} and {@link #matmul3} (prompt batches) are blocked matrix products ({@link
 * Gemm}): weights unpacked to float panels once per batch, a broadcast micro-kernel over transposed activations. They
 * sum in another order than {@link #matvec}, so prompt processing agrees with decoding to float rounding (not bit for
 * bit); a batch's result does not depend on how the prompt is split into batches or on the number of threads.
 * {@link #attention} for a batch runs {@link BatchAttention}.
 *
 * <p>Threads: products of at least {@code -Dtaylormlp.parallelMin} weights (default 32768) are split over the
 * pool by row chunks; smaller ones run on the caller. Create one instance per process (each owns its workers)
 * and reuse it; calls from several threads are safe but serialized.
 */
public final class VectorKernels implements Kernels {

    static final VectorSpecies<Float> F = chooseSpecies();
    static final int L = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /** Bytes species for Q8_0: L lanes, but at least 64 bits (8 lanes). */
    static final VectorSpecies<Byte> BQ8 = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(L, 8) * 8));
    static final int BQ8_LANES = BQ8.length();
    static final int Q8_PARTS = BQ8_LANES / L;
    /** Short lanes filling one float vector (2L), for int8 × int8 products in 16-bit lanes. */
    static final VectorSpecies<Short> SX = VectorSpecies.of(short.class, F.vectorShape());
    /** The bytes widened into one {@link #SX} vector: 2L lanes. */
    static final VectorSpecies<Byte> BX = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 16));
    /** {@link #SX} vectors per block of 32: 4, 2 or 1 for 128, 256 or 512-bit vectors. */
    static final int XL = SX.length();
    static final int XPARTS = 32 / XL;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Lane rotations by L/2, L/4, .., 1 for {@link #sum}. */
    private static final VectorShuffle<Float> ROT_HALF = VectorShuffle.iota(F, L / 2, 1, true);
    private static final VectorShuffle<Float> ROT_QUARTER = VectorShuffle.iota(F, Math.max(1, L / 4), 1, true);
    private static final VectorShuffle<Float> ROT_EIGHTH = VectorShuffle.iota(F, Math.max(1, L / 8), 1, true);
    private static final VectorShuffle<Float> ROT_16TH = VectorShuffle.iota(F, Math.max(1, L / 16), 1, true);

    /** Default: products smaller than this many weights run on the calling thread only. */
    private static final long PARALLEL_MIN = Long.getLong("taylormlp.parallelMin", 1L << 15);
    /** Default: the fewest weights a chunk of rows handed to one thread should hold. */
    private static final int MIN_CHUNK = 4096;

    private final Parallel pool;
    private final Job job = new Job();
    private final long parallelMin;
    private final int minChunk;

    /** Kernels on {@code threads} threads (the calling thread included; {@code threads - 1} workers are started). */
    public VectorKernels(int threads) {
        this(threads, PARALLEL_MIN, MIN_CHUNK);
    }

    /** For tests: {@code parallelMin} and {@code minChunk} (in weights) set to 1 force every product through the pool. */
    VectorKernels(int threads, long parallelMin, int minChunk) {
        this.pool = new Parallel(threads);
        this.parallelMin = parallelMin;
        this.minChunk = minChunk;
    }

    private static VectorSpecies<Float> chooseSpecies() {
        String bits = System.getProperty("taylormlp.vectorBits");
        if (bits == null || bits.isBlank()) {
            VectorSpecies<Float> p = FloatVector.SPECIES_PREFERRED;
            return p.vectorBitSize() >= 128 ? p : FloatVector.SPECIES_128;
        }
        int b = Integer.parseInt(bits.trim());
        return switch (b) {
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("taylormlp.vectorBits must be 128, 256 or 512, got " + b);
        };
    }

    /** The float vector width in bits this JVM uses. */
    public static int vectorBits() {
        return F.vectorBitSize();
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public String describe() {
        return "vector kernels (jdk.incubator.vector, " + F.vectorBitSize() + "-bit, " + L + " float lanes), "
                + pool.threads() + " thread" + (pool.threads() == 1 ? "" : "s");
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    /** The pool, for callers that parallelize other loops on the same threads. */
    public Parallel pool() {
        return pool;
    }

    @Override
    public void parallelFor(int n, int grain, Parallel.RangeBody body) {
        pool.forRange(n, grain, body);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Public entry points

    @Override
    public void matvec(Tensor w, float[] x, int xOff, float[] out, int outOff, int rowStart, int rowCount) {
        int cols = checkMatrix(w);
        if (rowStart < 0 || rowCount < 0 || rowStart + rowCount > w.rows()) {
            throw new IndexOutOfBoundsException("rows [" + rowStart + ", +" + rowCount + ") of " + w);
        }
        checkRange(x, xOff, cols, "x");
        checkRange(out, outOff, rowCount, "out");
        if (rowCount == 0) return;
        RoundedX rx = ActivationRounding.appliesTo(w.dtype()) ? ROUNDED.get().of(x, xOff, cols) : null;
        if (pool.threads() == 1 || (long) rowCount * cols < parallelMin) {
            rows(w, x, xOff, rx, out, outOff - rowStart, rowStart, rowStart + rowCount);
            return;
        }
        synchronized (job) {
            job.setMatvec(w, null, null, x, xOff, rx, out, null, null, outOff - rowStart, rowStart, rowCount, 0, 0);
            try {
                pool.forRange(rowCount, grain(rowCount, cols, w.dtype().bytesFor(cols)), job);
            } finally {
                job.clear();
            }
        }
    }

    @Override
    public void matvec2(Tensor a, Tensor b, float[] x, float[] outA, float[] outB) {
        multi(a, b, null, x, outA, outB, null);
    }

    @Override
    public void matvec3(Tensor a, Tensor b, Tensor c, float[] x, float[] outA, float[] outB, float[] outC) {
        multi(a, b, c, x, outA, outB, outC);
    }

    private void multi(Tensor a, Tensor b, Tensor c, float[] x, float[] outA, float[] outB, float[] outC) {
        int cols = checkMatrix(a);
        if (checkMatrix(b) != cols || (c != null && checkMatrix(c) != cols)) {
            throw new IllegalArgumentException("fused products need equal columns: " + a + ", " + b + (c == null ? "" : ", " + c));
        }
        checkRange(x, 0, cols, "x");
        checkRange(outA, 0, a.rows(), "outA");
        checkRange(outB, 0, b.rows(), "outB");
        if (c != null) checkRange(outC, 0, c.rows(), "outC");
        int ra = a.rows(), rb = b.rows(), rc = c == null ? 0 : c.rows();
        int total = ra + rb + rc;
        boolean round = ActivationRounding.appliesTo(a.dtype()) || ActivationRounding.appliesTo(b.dtype())
                || (c != null && ActivationRounding.appliesTo(c.dtype()));
        RoundedX rx = round ? ROUNDED.get().of(x, 0, cols) : null;
        if (pool.threads() == 1 || (long) total * cols < parallelMin) {
            rows(a, x, 0, rx, outA, 0, 0, ra);
            rows(b, x, 0, rx, outB, 0, 0, rb);
            if (c != null) rows(c, x, 0, rx, outC, 0, 0, rc);
            return;
        }
        synchronized (job) {
            job.setMatvec(a, b, c, x, 0, rx, outA, outB, outC, 0, 0, ra, rb, rc);
            try {
                pool.forRange(total, grain(total, cols, a.dtype().bytesFor(cols)), job);
            } finally {
                job.clear();
            }
        }
    }

    @Override
    public void matmul(Tensor w, float[] x, int batch, float[] out) {
        matmulN(w, null, null, x, batch, out, null, null);
    }

    @Override
    public void matmul2(Tensor a, Tensor b, float[] x, int batch, float[] outA, float[] outB) {
        matmulN(a, b, null, x, batch, outA, outB, null);
    }

    @Override
    public void matmul3(Tensor a, Tensor b, Tensor c, float[] x, int batch, float[] outA, float[] outB, float[] outC) {
        matmulN(a, b, c, x, batch, outA, outB, outC);
    }

    /**
     * One, two or three batched products of the same input ({@link Gemm}): the input is transposed once, and the
     * rows of all the products form one index space split over the threads.
     */
    private void matmulN(Tensor a, Tensor b, Tensor c, float[] x, int batch, float[] outA, float[] outB, float[] outC) {
        int cols = checkMatrix(a);
        if (batch < 0) throw new IllegalArgumentException("batch " + batch);
        checkRange(x, 0, Math.multiplyExact(batch, cols), "x");
        checkRange(outA, 0, Math.multiplyExact(batch, a.rows()), "out");
        for (Tensor t : new Tensor[] {b, c}) {
            if (t == null) continue;
            if (checkMatrix(t) != cols) throw new IllegalArgumentException(t + " and " + a + " differ in columns");
        }
        if (b != null) checkRange(outB, 0, Math.multiplyExact(batch, b.rows()), "out");
        if (c != null) checkRange(outC, 0, Math.multiplyExact(batch, c.rows()), "out");
        if (batch == 0) return;
        if (batch == 1) {
            matvec(a, x, 0, outA, 0, 0, a.rows());
            if (b != null) matvec(b, x, 0, outB, 0, 0, b.rows());
            if (c != null) matvec(c, x, 0, outC, 0, 0, c.rows());
            return;
        }
        boolean round = ActivationRounding.appliesTo(a.dtype());
        if ((b != null && ActivationRounding.appliesTo(b.dtype()) != round)
                || (c != null && ActivationRounding.appliesTo(c.dtype()) != round)) {
            // some of the products take the rounded activations, some not: one product at a time
            matmulN(a, null, null, x, batch, outA, null, null);
            if (b != null) matmulN(b, null, null, x, batch, outB, null, null);
            if (c != null) matmulN(c, null, null, x, batch, outC, null, null);
            return;
        }
        if (round) {
            // each token's activations rounded as a decode step rounds them (ActivationRounding)
            float[][] holder = ROUNDED_BATCH.get();
            if (holder[0].length < batch * cols) holder[0] = new float[batch * cols];
            float[] xr = holder[0];
            for (int t = 0; t < batch; t++) roundActivations(x, t * cols, cols, null, 0, null, 0, xr, t * cols);
            x = xr;
        }
        int ra = a.rows(), rb = b == null ? 0 : b.rows(), rc = c == null ? 0 : c.rows();
        int total = ra + rb + rc;
        float[] xt = Gemm.transposeBuffer(batch, cols);
        int tiles = Gemm.paddedBatch(batch) / Gemm.NB;
        synchronized (job) {
            try {
                if (pool.threads() == 1 || (long) total * cols * batch < parallelMin) {
                    Gemm.transpose(x, xt, batch, cols, 0, tiles);
                    job.setMatmul(a, b, c, xt, batch, outA, outB, outC, ra, rb, rc);
                    job.run(0, total);
                } else {
                    // the transposition too is split over the threads (one token tile per claim)
                    job.setTranspose(x, xt, batch, cols);
                    pool.forRange(tiles, 1, job);
                    job.setMatmul(a, b, c, xt, batch, outA, outB, outC, ra, rb, rc);
                    // chunks of whole micro-kernel tiles, four per thread (claimed dynamically: the vCPUs differ in speed)
                    int grain = Math.max(Gemm.MR, (total / (pool.threads() * 4) + Gemm.MR - 1) / Gemm.MR * Gemm.MR);
                    pool.forRange(total, grain, job);
                }
            } finally {
                job.clear();
            }
        }
    }

    @Override
    public void embedding(Tensor table, int row, float[] dst) {
        int cols = checkMatrix(table);
        if (row < 0 || row >= table.rows()) throw new IndexOutOfBoundsException("row " + row + " of " + table);
        checkRange(dst, 0, cols, "dst");
        MemorySegment m = table.data();
        long off = (long) row * table.dtype().bytesFor(cols);
        int i = 0;
        switch (table.dtype()) {
            default -> KBlocks.read(table.dtype(), m, (long) row * cols, dst, 0, cols);
            case F32 -> MemorySegment.copy(m, Tensor.F32_LE, off, dst, 0, cols);
            case F16 -> {
                for (; i <= cols - L; i += L) {
                    IntVector h = (IntVector) ShortVector.fromMemorySegment(S, m, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
                    IntVector em = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
                    em.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                            .lanewise(VectorOperators.OR, 0x7f800000, em.compare(VectorOperators.GE, 0x0f800000))
                            .or(h.and(0x80000000)).reinterpretAsFloats().intoArray(dst, i);
                }
                for (; i < cols; i++) dst[i] = Float.float16ToFloat(m.get(Tensor.I16_LE, off + 2L * i));
            }
            case BF16 -> {
                for (; i <= cols - L; i += L) {
                    ((IntVector) ShortVector.fromMemorySegment(S, m, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0))
                            .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, i);
                }
                for (; i < cols; i++) dst[i] = Float.intBitsToFloat(m.get(Tensor.I16_LE, off + 2L * i) << 16);
            }
            case Q8_0 -> {
                for (long blk = off; i < cols; i += 32, blk += 34) {
                    float d = Float.float16ToFloat(m.get(Tensor.I16_LE, blk));
                    for (int j = 0; j < 32; j++) dst[i + j] = d * m.get(ValueLayout.JAVA_BYTE, blk + 2 + j);
                }
            }
            case Q4_0 -> {
                for (long blk = off; i < cols; i += 32, blk += 18) {
                    float d = Float.float16ToFloat(m.get(Tensor.I16_LE, blk));
                    for (int j = 0; j < 16; j++) {
                        int b = m.get(ValueLayout.JAVA_BYTE, blk + 2 + j);
                        dst[i + j] = d * ((b & 15) - 8);
                        dst[i + 16 + j] = d * (((b >> 4) & 15) - 8);
                    }
                }
            }
        }
    }

    /** Least bytes of a chunk when products streamed from memory are split finely ({@link #grain}). */
    static final long FINE_CHUNK_BYTES = 8L << 20;

    /**
     * Rows per chunk of a matrix-vector product: threads claim chunks dynamically, which evens out cores of unequal
     * speed, at a cost per chunk (a claim, and two new streams for the prefetchers) that small chunks feel. Four
     * chunks per thread, or for products streamed from memory up to sixteen as long as each chunk keeps at least
     * {@link #FINE_CHUNK_BYTES}. Fine chunks keep a faster core busy to the end of a big streamed product; the floor
     * keeps models with a few large and many small matrices from paying the per-chunk cost on the small ones, and
     * cache-resident products, where that cost weighs most, keep four (measurements: CHANGELOG.md, 2026-11-29).
     */
    int grain(int rows, int cols, long rowBytes) {
        int g = Math.max(1, rows / (pool.threads() * 4));
        if (!cacheResident) {
            int fine = Math.max(1, rows / (pool.threads() * 16));
            long least = (FINE_CHUNK_BYTES + rowBytes - 1) / Math.max(1, rowBytes);
            g = (int) Math.min(g, Math.max(fine, least));
        }
        int minRows = Math.max(1, minChunk / Math.max(1, cols));
        return Math.max(g, minRows);
    }

    private static int checkMatrix(Tensor w) {
        int cols = w.cols();
        int bs = w.dtype().blockSize();
        if (cols % bs != 0) {
            throw new IllegalArgumentException(w + ": " + w.dtype() + " rows need a multiple of " + bs + " columns");
        }
        return cols;
    }

    private static void checkRange(float[] a, int off, int len, String what) {
        if (off < 0 || len < 0 || (long) off + len > a.length) {
            throw new IndexOutOfBoundsException(what + "[" + off + ", +" + len + ") of length " + a.length);
        }
    }

    /**
     * A calling thread's activations rounded for the quantized products ({@link ActivationRounding}): the integers,
     * the block scales, the rounded values as floats (for the kernels that multiply in float) and the blocks' sums.
     * Filled once per product (or fused group of products) by the calling thread, read by the workers of that
     * product.
     */
    static final class RoundedX {
        short[] q = new short[0];
        float[] d = new float[0];
        float[] r = new float[0];
        /** Per block: the sum of its rounded values, {@code d · Σ q} (the K-quants' mins). */
        float[] b = new float[0];

        RoundedX of(float[] x, int off, int n) {
            if (q.length < n) {
                q = new short[n];
                d = new float[n / ActivationRounding.BLOCK];
                b = new float[n / ActivationRounding.BLOCK];
                r = new float[n];
            }
            roundActivations(x, off, n, q, 0, d, 0, r, 0);
            for (int j = 0; j < n / ActivationRounding.BLOCK; j++) {
                int t = 0;
                for (int i = 32 * j; i < 32 * j + 32; i++) t += q[i];
                b[j] = d[j] * t;
            }
            return this;
        }
    }

    private static final ThreadLocal<RoundedX> ROUNDED = ThreadLocal.withInitial(RoundedX::new);

    /**
     * {@link ActivationRounding}'s rounding on vectors, the same bits as its plain form (tested): max |x| by abs and
     * max (a NaN anywhere in the block gives NaN), the integers by the 1.5·2²³ addition (round half to even), F2S.
     * The integers into q and the scales into d, and/or the rounded floats into r (either may be null). On vectors
     * because a prompt batch rounds every token's activations for every product: a scalar loop cost Q8_0 prefill 5-8 %.
     */
    static void roundActivations(float[] x, int off, int n, short[] q, int qOff, float[] d, int dOff, float[] r, int rOff) {
        ActivationRounding.check(x, off, n, q, qOff, d, dOff, r, rOff);
        int bs = ActivationRounding.BLOCK;
        for (int b = 0; b < n; b += bs) {
            FloatVector mx = FloatVector.fromArray(F, x, off + b).abs();
            for (int j = L; j < bs; j += L) mx = mx.max(FloatVector.fromArray(F, x, off + b + j).abs());
            float amax = mx.reduceLanes(VectorOperators.MAX);
            float s = amax / 127f, id = 127f / amax;
            if (q != null) d[dOff + b / bs] = s;
            if (ActivationRounding.zeroBlock(s, id)) {
                if (q != null) java.util.Arrays.fill(q, qOff + b, qOff + b + bs, (short) 0);
                if (r != null) java.util.Arrays.fill(r, rOff + b, rOff + b + bs, 0f * s);
                continue;
            }
            FloatVector vid = FloatVector.broadcast(F, id);
            for (int j = 0; j < bs; j += L) {
                FloatVector v = FloatVector.fromArray(F, x, off + b + j).mul(vid)
                        .add(ActivationRounding.MAGIC).sub(ActivationRounding.MAGIC);
                if (q != null) ((ShortVector) v.convertShape(VectorOperators.F2S, S, 0)).intoArray(q, qOff + b + j);
                if (r != null) v.mul(s).intoArray(r, rOff + b + j);
            }
        }
    }
    /** A calling thread's prompt batch of rounded activations ({@link #matmulN}). */
    private static final ThreadLocal<float[][]> ROUNDED_BATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** The reusable job object for the pool (guarded by its own monitor; nothing is allocated per call). */
    private enum Mode { MATVEC, TRANSPOSE, MATMUL }

    private final class Job implements Parallel.RangeBody {
        Mode mode;
        Tensor a, b, c;
        float[] x, outA, outB, outC;
        RoundedX rx;
        int xOff, outBase, rowStart, ra, rb, rc, batch, cols;

        void setMatvec(Tensor a, Tensor b, Tensor c, float[] x, int xOff, RoundedX rx, float[] outA, float[] outB,
                       float[] outC, int outBase, int rowStart, int ra, int rb, int rc) {
            this.mode = Mode.MATVEC;
            this.a = a; this.b = b; this.c = c;
            this.x = x; this.xOff = xOff; this.rx = rx;
            this.outA = outA; this.outB = outB; this.outC = outC;
            this.outBase = outBase; this.rowStart = rowStart;
            this.ra = ra; this.rb = rb; this.rc = rc;
        }

        /** Token tiles of x ({@code batch} rows of {@code cols}) transposed into xt ({@link Gemm#transpose}). */
        void setTranspose(float[] x, float[] xt, int batch, int cols) {
            this.mode = Mode.TRANSPOSE;
            this.x = x; this.outA = xt; this.batch = batch; this.cols = cols;
        }

        void setMatmul(Tensor a, Tensor b, Tensor c, float[] xt, int batch, float[] outA, float[] outB, float[] outC,
                       int ra, int rb, int rc) {
            this.mode = Mode.MATMUL;
            this.a = a; this.b = b; this.c = c;
            this.x = xt; this.batch = batch;
            this.outA = outA; this.outB = outB; this.outC = outC;
            this.outBase = 0; this.rowStart = 0;
            this.ra = ra; this.rb = rb; this.rc = rc;
        }

        void clear() {
            a = b = c = null;
            x = outA = outB = outC = null;
            rx = null;
        }

        @Override
        public void run(int start, int end) {
            if (mode == Mode.TRANSPOSE) {
                Gemm.transpose(x, outA, batch, cols, start, end);
                return;
            }
            // The index space is A's rows, then B's, then C's; a chunk may straddle a boundary.
            if (start < ra) part(a, outA, outBase, rowStart + start, rowStart + Math.min(end, ra));
            if (end > ra && start < ra + rb) part(b, outB, 0, Math.max(start, ra) - ra, Math.min(end, ra + rb) - ra);
            if (end > ra + rb) part(c, outC, 0, Math.max(start, ra + rb) - ra - rb, end - ra - rb);
        }

        /** Rows [r0, r1) of one product: matrix-vector (decode) or batched (prompt). */
        private void part(Tensor w, float[] out, int base, int r0, int r1) {
            if (mode == Mode.MATMUL) Gemm.rows(w, x, batch, out, r0, r1);
            else rows(w, x, xOff, rx, out, base, r0, r1);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Row loops: out[outBase + r] = W[r] · x for r in [r0, r1)

    /**
     * Decode steps that read at most this many weight bytes are taken to run from the last-level cache
     * ({@code -Dtaylormlp.cacheBytes}, default 24 MiB: below a common 32 MiB L3, leaving room for activations and
     * the KV cache).
     */
    static final long CACHE_BYTES = Long.getLong("taylormlp.cacheBytes", 24L << 20);

    /**
     * Whether the decode step's weights fit in the last-level cache ({@link #hintWorkingSet}); picks the number of
     * chunks per thread ({@link #grain}).
     */
    private volatile boolean cacheResident = true;

    /** For tests and benchmarks: {@code false} makes products run row by row; null or true, two rows per step. */
    private volatile Boolean forcedPairRows;

    @Override
    public void hintWorkingSet(long bytesPerStep) {
        cacheResident = bytesPerStep <= CACHE_BYTES;
    }

    /**
     * For tests and benchmarks: {@code false} runs products row by row with the single-row kernels ({@link
     * #singleRows}); null or true, with the two-row loops ({@link #matvecRows}), the default. Same bits either way.
     */
    void pairRows(Boolean on) {
        forcedPairRows = on;
    }

    /**
     * Rows [r0, r1): two rows per step, the first half of the range paired with the second (row r with row r + h),
     * so that each thread reads two long sequential streams, for every dtype and row width. Pairing
     * <em>adjacent</em> rows (r, r + 1) would break both streams at every row end and lose to one row at a time on
     * streamed weights (measurements: CHANGELOG.md, 2026-11-29).
     */
    void rows(Tensor w, float[] x, int xOff, RoundedX rx, float[] out, int outBase, int r0, int r1) {
        if (forcedPairRows == Boolean.FALSE) singleRows(w, x, xOff, rx, out, outBase, r0, r1);
        else matvecRows(w, x, xOff, rx, out, outBase, r0, r1);
    }

    /**
     * Row by row with the single-row kernels (each row read to its end before the next): the reference the two-row
     * loops are tested against, and the other side of their benchmark ({@link #pairRows(Boolean)}). Unrolled by two
     * only so that the method stays above C2's hot inlining limit and is compiled on its own, like the two-row loops.
     */
    static void singleRows(Tensor w, float[] x, int xOff, RoundedX rx, float[] out, int outBase, int r0, int r1) {
        MemorySegment m = w.data();
        int n = w.cols(), r = r0;
        long rowBytes = w.dtype().bytesFor(n);
        switch (w.dtype()) {
            default -> quantizedRows(w.dtype(), m, rowBytes, rx, n, out, outBase, r0, r1);
            case F32 -> {
                for (; r + 1 < r1; r += 2) {
                    out[outBase + r] = dotF32(m, r * rowBytes, x, xOff, n);
                    out[outBase + r + 1] = dotF32(m, (r + 1) * rowBytes, x, xOff, n);
                }
                if (r < r1) out[outBase + r] = dotF32(m, r * rowBytes, x, xOff, n);
            }
            case F16 -> {
                for (; r + 1 < r1; r += 2) {
                    out[outBase + r] = dotF16(m, r * rowBytes, x, xOff, n);
                    out[outBase + r + 1] = dotF16(m, (r + 1) * rowBytes, x, xOff, n);
                }
                if (r < r1) out[outBase + r] = dotF16(m, r * rowBytes, x, xOff, n);
            }
            case BF16 -> {
                for (; r + 1 < r1; r += 2) {
                    out[outBase + r] = dotBF16(m, r * rowBytes, x, xOff, n);
                    out[outBase + r + 1] = dotBF16(m, (r + 1) * rowBytes, x, xOff, n);
                }
                if (r < r1) out[outBase + r] = dotBF16(m, r * rowBytes, x, xOff, n);
            }
            case Q8_0 -> {
                for (; r + 1 < r1; r += 2) {
                    out[outBase + r] = dotQ8x(m, r * rowBytes, rx.q, rx.d, n);
                    out[outBase + r + 1] = dotQ8x(m, (r + 1) * rowBytes, rx.q, rx.d, n);
                }
                if (r < r1) out[outBase + r] = dotQ8x(m, r * rowBytes, rx.q, rx.d, n);
            }
            case Q4_0 -> {
                for (; r + 1 < r1; r += 2) {
                    out[outBase + r] = dotQ4(m, r * rowBytes, rx.r, 0, n);
                    out[outBase + r + 1] = dotQ4(m, (r + 1) * rowBytes, rx.r, 0, n);
                }
                if (r < r1) out[outBase + r] = dotQ4(m, r * rowBytes, rx.r, 0, n);
            }
        }
    }

    static void matvecRows(Tensor w, float[] x, int xOff, RoundedX rx, float[] out, int outBase, int r0, int r1) {
        MemorySegment m = w.data();
        int n = w.cols();
        long rowBytes = w.dtype().bytesFor(n);
        switch (w.dtype()) {
            case F32 -> rowsF32(m, rowBytes, x, xOff, n, out, outBase, r0, r1);
            case F16 -> rowsF16(m, rowBytes, x, xOff, n, out, outBase, r0, r1);
            case BF16 -> rowsBF16(m, rowBytes, x, xOff, n, out, outBase, r0, r1);
            case Q8_0 -> rowsQ8x(m, rowBytes, rx.q, rx.d, n, out, outBase, r0, r1);
            case Q4_0 -> rowsQ4(m, rowBytes, rx.r, 0, n, out, outBase, r0, r1);
            default -> quantizedRows(w.dtype(), m, rowBytes, rx, n, out, outBase, r0, r1);
        }
    }

    /**
     * The {@link KQuants} types, all on the rounded activations: Q4_K by its int8 kernel where vectors hold 16 shorts
     * ({@link KQuants#INT_KQUANTS}), Q6_K by its int8 kernel (256-bit) wherever vectors have 256 bits or more
     * ({@link KQuants#INT_Q6K}), the others (and those two elsewhere) by the float kernels on the rounded values.
     */
    static void quantizedRows(DType t, MemorySegment m, long rowBytes, RoundedX rx, int n, float[] out, int ob, int r0, int r1) {
        if (KQuants.INT_KQUANTS && t == DType.Q4_K) KQuants.rowsQ4Kx(m, rowBytes, rx.q, rx.d, rx.b, n, out, ob, r0, r1);
        else if (KQuants.INT_Q6K && t == DType.Q6_K) KQuants.rowsQ6Kx(m, rowBytes, rx.q, rx.d, n, out, ob, r0, r1);
        else KQuants.rows(t, m, rowBytes, rx.r, 0, n, out, ob, r0, r1);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Row loops of the matrix-vector product, two rows per step: row r of [r0, r1) with row r + (r1 - r0) / 2, so
    // the two rows are the heads of two sequential streams through the range (the hardware prefetchers follow
    // each from one row into the next). Both rows share each load of x (and on cache-resident weights the loads
    // of x are a third of the work). Each row is summed with exactly the
    // accumulators, order and final reduction of its single-row kernel (dotF32, dotQ8, ...), which also runs
    // the odd last row, so results do not depend on how rows are paired or chunked across threads.
    //
    // These methods are deliberately longer than C2's hot-call inlining limit (FreqInlineSize, 325 bytecodes):
    // each is compiled as its own unit. Inlined into a large caller (the transformer's forward pass), a kernel
    // competed for that caller's node budget, and when C2 ran out some vector intrinsics fell back to boxed
    // Java code, and decode speed halved from one repetition to the next.

    static void rowsF32(MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        int half = (r1 - r0) >> 1;
        long far = half * rowBytes;
        for (int r = r0, stop = r0 + half; r < stop; r++) {
            long o0 = r * rowBytes, o1 = o0 + far;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            int i = 0;
            for (int u = n - 4 * L; i <= u; i += 4 * L) {
                long d = 4L * i;
                FloatVector x0 = FloatVector.fromArray(F, x, xo + i), x1 = FloatVector.fromArray(F, x, xo + i + L);
                FloatVector x2 = FloatVector.fromArray(F, x, xo + i + 2 * L), x3 = FloatVector.fromArray(F, x, xo + i + 3 * L);
                a0 = FloatVector.fromMemorySegment(F, m, o0 + d, LE).fma(x0, a0);
                a1 = FloatVector.fromMemorySegment(F, m, o0 + d + 4L * L, LE).fma(x1, a1);
                a2 = FloatVector.fromMemorySegment(F, m, o0 + d + 8L * L, LE).fma(x2, a2);
                a3 = FloatVector.fromMemorySegment(F, m, o0 + d + 12L * L, LE).fma(x3, a3);
                c0 = FloatVector.fromMemorySegment(F, m, o1 + d, LE).fma(x0, c0);
                c1 = FloatVector.fromMemorySegment(F, m, o1 + d + 4L * L, LE).fma(x1, c1);
                c2 = FloatVector.fromMemorySegment(F, m, o1 + d + 8L * L, LE).fma(x2, c2);
                c3 = FloatVector.fromMemorySegment(F, m, o1 + d + 12L * L, LE).fma(x3, c3);
            }
            for (; i <= n - L; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + i);
                a0 = FloatVector.fromMemorySegment(F, m, o0 + 4L * i, LE).fma(xv, a0);
                c0 = FloatVector.fromMemorySegment(F, m, o1 + 4L * i, LE).fma(xv, c0);
            }
            float s0 = sum(a0.add(a1).add(a2.add(a3))), s1 = sum(c0.add(c1).add(c2.add(c3)));
            for (; i < n; i++) {
                s0 += m.get(Tensor.F32_LE, o0 + 4L * i) * x[xo + i];
                s1 += m.get(Tensor.F32_LE, o1 + 4L * i) * x[xo + i];
            }
            out[ob + r] = s0;
            out[ob + r + half] = s1;
        }
        if (((r1 - r0) & 1) != 0) out[ob + r1 - 1] = dotF32(m, (r1 - 1) * rowBytes, x, xo, n);
    }

    static void rowsF16(MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        int half = (r1 - r0) >> 1;
        long far = half * rowBytes;
        for (int r = r0, stop = r0 + half; r < stop; r++) {
            long o0 = r * rowBytes, o1 = o0 + far;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            int i = 0;
            for (; i <= n - L; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + i);
                IntVector h = (IntVector) ShortVector.fromMemorySegment(S, m, o0 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector em = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
                FloatVector w = em.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .lanewise(VectorOperators.OR, 0x7f800000, em.compare(VectorOperators.GE, 0x0f800000))
                        .or(h.and(0x80000000)).reinterpretAsFloats();
                IntVector g = (IntVector) ShortVector.fromMemorySegment(S, m, o1 + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
                IntVector eg = g.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
                FloatVector v = eg.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                        .lanewise(VectorOperators.OR, 0x7f800000, eg.compare(VectorOperators.GE, 0x0f800000))
                        .or(g.and(0x80000000)).reinterpretAsFloats();
                FloatVector t = w.fma(xv, a0), t2 = v.fma(xv, c0);
                a0 = a1; a1 = a2; a2 = a3; a3 = t;
                c0 = c1; c1 = c2; c2 = c3; c3 = t2;
            }
            float s0 = sum(a0.add(a1).add(a2.add(a3))), s1 = sum(c0.add(c1).add(c2.add(c3)));
            for (; i < n; i++) {
                s0 += Float.float16ToFloat(m.get(Tensor.I16_LE, o0 + 2L * i)) * x[xo + i];
                s1 += Float.float16ToFloat(m.get(Tensor.I16_LE, o1 + 2L * i)) * x[xo + i];
            }
            out[ob + r] = s0;
            out[ob + r + half] = s1;
        }
        if (((r1 - r0) & 1) != 0) out[ob + r1 - 1] = dotF16(m, (r1 - 1) * rowBytes, x, xo, n);
    }

    static void rowsBF16(MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        int half = (r1 - r0) >> 1;
        long far = half * rowBytes;
        for (int r = r0, stop = r0 + half; r < stop; r++) {
            long o0 = r * rowBytes, o1 = o0 + far;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
            int i = 0;
            for (; i <= n - L; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xo + i);
                FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, m, o0 + 2L * i, LE)
                        .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector v = ((IntVector) ShortVector.fromMemorySegment(S, m, o1 + 2L * i, LE)
                        .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                FloatVector t = w.fma(xv, a0), t2 = v.fma(xv, c0);
                a0 = a1; a1 = a2; a2 = a3; a3 = t;
                c0 = c1; c1 = c2; c2 = c3; c3 = t2;
            }
            float s0 = sum(a0.add(a1).add(a2.add(a3))), s1 = sum(c0.add(c1).add(c2.add(c3)));
            for (; i < n; i++) {
                s0 += Float.intBitsToFloat(m.get(Tensor.I16_LE, o0 + 2L * i) << 16) * x[xo + i];
                s1 += Float.intBitsToFloat(m.get(Tensor.I16_LE, o1 + 2L * i) << 16) * x[xo + i];
            }
            out[ob + r] = s0;
            out[ob + r + half] = s1;
        }
        if (((r1 - r0) & 1) != 0) out[ob + r1 - 1] = dotBF16(m, (r1 - 1) * rowBytes, x, xo, n);
    }

    /**
     * Q8_0 rows times the rounded activations of {@link ActivationRounding} ({@code xq} the integers, {@code xd} the
     * block scales). Per block of 32 the int8 weights, widened to 16-bit lanes, are multiplied with the activation
     * integers: two products per lane are added (|w·q| ≤ 128·127, so the pair fits in 16 bits), the 16-bit sums are
     * folded pairwise into 32-bit lanes by two shifts and an add on the int view (the high half by an arithmetic
     * shift right, the low half by a shift left and right; with 512-bit vectors, where a lane holds one product and the
     * pair's sum fits in 16 bits, by adding the lane shifted left to itself and one arithmetic shift), converted to
     * float and scaled once by the weight's f16 scale times the activations' block scale. The integer block sum is
     * exact, so a row differs from {@code Σ w·x'} ({@code x'} the rounded activations) only by the float rounding of
     * the scaled block sums. Widening every weight to a float lane instead measured 10.0-10.7 against 14.8 GMAC/s for
     * this form (docs/PERFORMANCE.md).
     */
    static void rowsQ8x(MemorySegment m, long rowBytes, short[] xq, float[] xd, int n, float[] out, int ob, int r0, int r1) {
        int half = (r1 - r0) >> 1;
        long far = half * rowBytes;
        for (int r = r0, stop = r0 + half; r < stop; r++) {
            long b0 = r * rowBytes, b1 = b0 + far;
            FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
            for (int i = 0; i < n; i += 32, b0 += 34, b1 += 34) {
                ShortVector xv = ShortVector.fromArray(SX, xq, i);
                ShortVector p = ((ShortVector) ByteVector.fromMemorySegment(BX, m, b0 + 2, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv);
                ShortVector e = ((ShortVector) ByteVector.fromMemorySegment(BX, m, b1 + 2, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv);
                if (XPARTS >= 2) {
                    xv = ShortVector.fromArray(SX, xq, i + XL);
                    p = p.add(((ShortVector) ByteVector.fromMemorySegment(BX, m, b0 + 2 + XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv));
                    e = e.add(((ShortVector) ByteVector.fromMemorySegment(BX, m, b1 + 2 + XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv));
                }
                IntVector v = p.reinterpretAsInts(), u = e.reinterpretAsInts();
                IntVector pi, ei;
                if (XPARTS == 1) {
                    // one product per 16-bit lane: the pair's sum fits in 16 bits, so it is formed in the high half
                    pi = v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                    ei = u.add(u.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
                } else {
                    pi = v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    ei = u.lanewise(VectorOperators.ASHR, 16).add(u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                }
                if (XPARTS == 4) {
                    xv = ShortVector.fromArray(SX, xq, i + 2 * XL);
                    p = ((ShortVector) ByteVector.fromMemorySegment(BX, m, b0 + 2 + 2 * XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv);
                    e = ((ShortVector) ByteVector.fromMemorySegment(BX, m, b1 + 2 + 2 * XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv);
                    xv = ShortVector.fromArray(SX, xq, i + 3 * XL);
                    p = p.add(((ShortVector) ByteVector.fromMemorySegment(BX, m, b0 + 2 + 3 * XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv));
                    e = e.add(((ShortVector) ByteVector.fromMemorySegment(BX, m, b1 + 2 + 3 * XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv));
                    v = p.reinterpretAsInts();
                    u = e.reinterpretAsInts();
                    pi = pi.add(v.lanewise(VectorOperators.ASHR, 16)).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                    ei = ei.add(u.lanewise(VectorOperators.ASHR, 16)).add(u.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                }
                float dx = xd[i >> 5];
                a0 = ((FloatVector) pi.convertShape(VectorOperators.I2F, F, 0))
                        .fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, b0)) * dx), a0);
                c0 = ((FloatVector) ei.convertShape(VectorOperators.I2F, F, 0))
                        .fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, b1)) * dx), c0);
            }
            out[ob + r] = sum(a0);
            out[ob + r + half] = sum(c0);
        }
        if (((r1 - r0) & 1) != 0) out[ob + r1 - 1] = dotQ8x(m, (r1 - 1) * rowBytes, xq, xd, n);
    }

    static void rowsQ4(MemorySegment m, long rowBytes, float[] x, int xo, int n, float[] out, int ob, int r0, int r1) {
        int half = (r1 - r0) >> 1;
        long far = half * rowBytes;
        for (int r = r0, stop = r0 + half; r < stop; r++) {
            long b0 = r * rowBytes, b1 = b0 + far;
            FloatVector a0 = FloatVector.zero(F), c0 = a0;
            for (int i = 0; i < n; i += 32, b0 += 18, b1 += 18) {
                FloatVector s = FloatVector.zero(F), u = s;
                for (int q = 0; q < 16; q += BQ8_LANES) {
                    int j = xo + i + q;
                    FloatVector xl = FloatVector.fromArray(F, x, j), xh = FloatVector.fromArray(F, x, j + 16);
                    ByteVector p = ByteVector.fromMemorySegment(BQ8, m, b0 + 2 + q, LE);
                    ByteVector e = ByteVector.fromMemorySegment(BQ8, m, b1 + 2 + q, LE);
                    ByteVector plo = p.and((byte) 0x0f).sub((byte) 8), phi = KQuants.shr(p, 4).and((byte) 0x0f).sub((byte) 8);
                    ByteVector elo = e.and((byte) 0x0f).sub((byte) 8), ehi = KQuants.shr(e, 4).and((byte) 0x0f).sub((byte) 8);
                    s = ((FloatVector) plo.convertShape(VectorOperators.B2F, F, 0)).fma(xl, s);
                    s = ((FloatVector) phi.convertShape(VectorOperators.B2F, F, 0)).fma(xh, s);
                    u = ((FloatVector) elo.convertShape(VectorOperators.B2F, F, 0)).fma(xl, u);
                    u = ((FloatVector) ehi.convertShape(VectorOperators.B2F, F, 0)).fma(xh, u);
                    if (Q8_PARTS == 2) {
                        xl = FloatVector.fromArray(F, x, j + L);
                        xh = FloatVector.fromArray(F, x, j + 16 + L);
                        s = ((FloatVector) plo.convertShape(VectorOperators.B2F, F, 1)).fma(xl, s);
                        s = ((FloatVector) phi.convertShape(VectorOperators.B2F, F, 1)).fma(xh, s);
                        u = ((FloatVector) elo.convertShape(VectorOperators.B2F, F, 1)).fma(xl, u);
                        u = ((FloatVector) ehi.convertShape(VectorOperators.B2F, F, 1)).fma(xh, u);
                    }
                }
                a0 = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, b0))), a0);
                c0 = u.fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, b1))), c0);
            }
            out[ob + r] = sum(a0);
            out[ob + r + half] = sum(c0);
        }
        if (((r1 - r0) & 1) != 0) out[ob + r1 - 1] = dotQ4(m, (r1 - 1) * rowBytes, x, xo, n);
    }

    /**
     * The sum of the lanes in a fixed tree order. {@code reduceLanes(ADD)} is not used: its order differs
     * between JIT-compiled code and the interpreter/C1, so a row's result would change (in the last bits) when
     * the kernel gets compiled, making runs irreproducible. Rotating and adding is the same in every mode.
     */
    static float sum(FloatVector v) {
        v = v.add(v.rearrange(ROT_HALF));
        if (L >= 4) v = v.add(v.rearrange(ROT_QUARTER));
        if (L >= 8) v = v.add(v.rearrange(ROT_EIGHTH));
        if (L >= 16) v = v.add(v.rearrange(ROT_16TH));
        return v.lane(0);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernels.
    //
    // Lane conversions are written out inside each loop, never in helper methods returning vectors: when C2
    // declines to inline such a helper (size limits, "already compiled into a big method"), every vector becomes
    // a heap object and the loop runs 100-1000x slower (measured: F16 matvec 650 ms instead of 2 ms). Loops that
    // want several independent accumulators hold one copy of the body and rotate them (a0 <- a1 <- ... <- new);
    // C2's unrolling turns that into independent FMA chains. The part number of a widening convertShape must be
    // a constant when the method is parsed, hence the "if (Q8_PARTS == 2)" branches (folded away on 256/512-bit).
    //
    // F16 -> F32 on int lanes: em = (h & 0x7fff) << 13 puts exponent and mantissa in float position; as a float
    // that is the value times 2^-112, so one multiply by 2^112 gives the exact value for normal and subnormal
    // halfs; exponent 31 (Inf/NaN) gives 65536.0.. and gets the float exponent forced to 255 by a masked OR;
    // the sign (bit 31 after sign extension) is OR'ed back.

    static float dotF32(MemorySegment m, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int u = n - 4 * L; i <= u; i += 4 * L) {
            long o = off + 4L * i;
            a0 = FloatVector.fromMemorySegment(F, m, o, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
            a1 = FloatVector.fromMemorySegment(F, m, o + 4L * L, LE).fma(FloatVector.fromArray(F, x, xo + i + L), a1);
            a2 = FloatVector.fromMemorySegment(F, m, o + 8L * L, LE).fma(FloatVector.fromArray(F, x, xo + i + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(F, m, o + 12L * L, LE).fma(FloatVector.fromArray(F, x, xo + i + 3 * L), a3);
        }
        for (; i <= n - L; i += L) {
            a0 = FloatVector.fromMemorySegment(F, m, off + 4L * i, LE).fma(FloatVector.fromArray(F, x, xo + i), a0);
        }
        float s = sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += m.get(Tensor.F32_LE, off + 4L * i) * x[xo + i];
        return s;
    }

    static float dotF16(MemorySegment m, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= n - L; i += L) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, m, off + 2L * i, LE).convertShape(VectorOperators.S2I, I, 0);
            IntVector em = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            FloatVector w = em.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts()
                    .lanewise(VectorOperators.OR, 0x7f800000, em.compare(VectorOperators.GE, 0x0f800000))
                    .or(h.and(0x80000000)).reinterpretAsFloats();
            FloatVector t = w.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a0 = a1; a1 = a2; a2 = a3; a3 = t;
        }
        float s = sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += Float.float16ToFloat(m.get(Tensor.I16_LE, off + 2L * i)) * x[xo + i];
        return s;
    }

    static float dotBF16(MemorySegment m, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector w = ((IntVector) ShortVector.fromMemorySegment(S, m, off + 2L * i, LE)
                    .convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector t = w.fma(FloatVector.fromArray(F, x, xo + i), a0);
            a0 = a1; a1 = a2; a2 = a3; a3 = t;
        }
        float s = sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) s += Float.intBitsToFloat(m.get(Tensor.I16_LE, off + 2L * i) << 16) * x[xo + i];
        return s;
    }

    /** One row of {@link #rowsQ8x}, with the same block sums and accumulators (the same bits). */
    static float dotQ8x(MemorySegment m, long off, short[] xq, float[] xd, int n) {
        FloatVector a0 = FloatVector.zero(F);
        long blk = off;
        for (int i = 0; i < n; i += 32, blk += 34) {
            ShortVector xv = ShortVector.fromArray(SX, xq, i);
            ShortVector p = ((ShortVector) ByteVector.fromMemorySegment(BX, m, blk + 2, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv);
            if (XPARTS >= 2) {
                xv = ShortVector.fromArray(SX, xq, i + XL);
                p = p.add(((ShortVector) ByteVector.fromMemorySegment(BX, m, blk + 2 + XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv));
            }
            IntVector v = p.reinterpretAsInts();
            IntVector pi = XPARTS == 1 ? v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    : v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            if (XPARTS == 4) {
                xv = ShortVector.fromArray(SX, xq, i + 2 * XL);
                p = ((ShortVector) ByteVector.fromMemorySegment(BX, m, blk + 2 + 2 * XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv);
                xv = ShortVector.fromArray(SX, xq, i + 3 * XL);
                p = p.add(((ShortVector) ByteVector.fromMemorySegment(BX, m, blk + 2 + 3 * XL, LE).convertShape(VectorOperators.B2S, SX, 0)).mul(xv));
                v = p.reinterpretAsInts();
                pi = pi.add(v.lanewise(VectorOperators.ASHR, 16)).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
            }
            a0 = ((FloatVector) pi.convertShape(VectorOperators.I2F, F, 0))
                    .fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, blk)) * xd[i >> 5]), a0);
        }
        return sum(a0);
    }

    /** As Q8_0 after splitting each byte into its low nibble (element j) and high nibble (j + 16), minus 8. */
    static float dotQ4(MemorySegment m, long off, float[] x, int xo, int n) {
        FloatVector a0 = FloatVector.zero(F);
        long blk = off;
        for (int i = 0; i < n; i += 32, blk += 18) {
            FloatVector s = FloatVector.zero(F);
            for (int q = 0; q < 16; q += BQ8_LANES) {
                ByteVector b = ByteVector.fromMemorySegment(BQ8, m, blk + 2 + q, LE);
                ByteVector lo = b.and((byte) 0x0f).sub((byte) 8);
                ByteVector hi = KQuants.shr(b, 4).and((byte) 0x0f).sub((byte) 8);
                int j = xo + i + q;
                s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, j), s);
                s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, j + 16), s);
                if (Q8_PARTS == 2) {
                    s = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, j + L), s);
                    s = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, j + 16 + L), s);
                }
            }
            a0 = s.fma(FloatVector.broadcast(F, Float.float16ToFloat(m.get(Tensor.I16_LE, blk))), a0);
        }
        return sum(a0);
    }

    // ---- vector operations: VectorOps where it is faster, the scalar reference where the work is negligible ----

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) { return VectorOps.dot(a, aOff, b, bOff, n); }

    /**
     * Q5_0 weights become Q8_0 with the same values (the same f16 scale, {@code q − 16} as the int8): these kernels
     * decode Q8_0 2.3x faster than Q5_0 (whose fifth bits cost a table look-up and extra byte operations per block),
     * for 34 bytes per 32 weights instead of 22. llama.cpp's quantizer writes Q5_0 where a Q4_K_M/Q5_K_M tensor's
     * rows are not whole 256-weight super-blocks (stories15M, Qwen2-0.5B). The copy lives in native memory freed
     * with the tensor; the pages of a memory-mapped source are released after the copy. Other types are returned as
     * they are.
     */
    @Override
    public Tensor prepare(Tensor w) {
        if (w.dtype() != DType.Q5_0) return w;
        MemorySegment dst = java.lang.foreign.Arena.ofAuto().allocate(DType.Q8_0.bytesFor(w.size()), 64);
        KBlocks.q5_0ToQ8_0(w.data(), dst, w.size() / DType.Q5_0.blockSize());
        if (w.data().isMapped()) w.data().unload();
        return new Tensor(w.name(), DType.Q8_0, w.shape(), dst);
    }

    /** The layout does not matter to a sum in any order: the plain vector dot product. */
    @Override
    public float dotHalfSplit(float[] a, int aOff, float[] b, int bOff, int n, int half) {
        return VectorOps.dot(a, aOff, b, bOff, n);
    }

    @Override
    public void attention(float[] q, int qOff, int qStride, int nq, float[] kc, float[] vc, int kvOff, int kvStride,
                          int firstPos, int window, int hs, int half, float scale, float[] out, int outOff, int outStride) {
        BatchAttention.attend(q, qOff, qStride, nq, kc, vc, kvOff, kvStride, firstPos, window, hs, scale, out, outOff, outStride);
    }

    @Override
    public void softmax(float[] x, int off, int n) { VectorOps.softmax(x, off, n); }

    /** Once per row and layer over {@code dim} elements: the scalar loop (negligible next to the products). */
    @Override
    public void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        ScalarOps.rmsnorm(out, outOff, x, xOff, weight, n, eps);
    }

    /** As {@link #rmsnorm}: the scalar reference (double accumulation). */
    @Override
    public void layernorm(float[] out, int outOff, float[] x, int xOff, float[] weight, float[] bias, int n, float eps) {
        ScalarOps.layernorm(out, outOff, x, xOff, weight, bias, n, eps);
    }

    @Override
    public void silu(float[] x, int off, int n) { VectorOps.silu(x, off, n); }

    @Override
    public void geluTanh(float[] x, int off, int n) { VectorOps.gelu(x, off, n); }

    /** No vector erf in the JDK: the scalar reference. */
    @Override
    public void geluErf(float[] x, int off, int n) { ScalarOps.geluErf(x, off, n); }

    @Override
    public void swiglu(float[] gate, float[] up, int n) { VectorOps.swiglu(gate, up, n); }

    /** rotaryDim/2 pairs per head: the scalar loop (C2 vectorizes it). */
    @Override
    public void rope(float[] x, int off, float[] cos, float[] sin, int half) { ScalarOps.rope(x, off, cos, sin, half); }
}
