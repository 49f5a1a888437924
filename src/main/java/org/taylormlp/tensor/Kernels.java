package org.taylormlp.tensor;

/**
 * The compute kernels the forward pass uses. Weight matrices are {@link Tensor}s of shape [rows, cols]
 * (any {@link DType}); activations are float arrays. Implementations: {@link ScalarKernels} (the plain
 * reference, test oracle, able to run a whole model) and {@link VectorKernels} (Vector API, multi-threaded), chosen
 * at start-up by {@link KernelsProvider}. The forward pass calls nothing else for its arithmetic: each implementation
 * decides how it computes the products, norms, softmax, activations and RoPE below.
 *
 * <p>Quantized weights need {@code cols} to be a multiple of the block size (32; 256 for the K-quants).
 *
 * <p>Products with quantized weights are defined on the activations rounded to 8 bits per block of 32 ({@link
 * ActivationRounding}), as llama.cpp computes them; every implementation rounds them alike (single tokens and
 * prompt batches), so implementations differ from each other only by float rounding.
 */
public interface Kernels {
    String name();

    /** One line for {@code --verbose}: backend, vector width, threads. */
    default String describe() {
        return name();
    }

    /** Threads a product may use (the calling thread included). */
    default int threads() {
        return 1;
    }

    /**
     * Tells the kernels how many weight bytes one decode step reads, so they can split products to suit where the
     * weights will come from (cache or memory). A hint for speed only: results do not depend on it.
     */
    default void hintWorkingSet(long bytesPerStep) {
    }

    /**
     * The weight tensor these kernels compute fastest, holding exactly the same values as {@code w} (a different block
     * layout at most, as llama.cpp's CPU backend repacks some types at load time); {@code w} itself when there is
     * nothing to gain. Called once per weight when a model is wired up, never per product.
     */
    default Tensor prepare(Tensor w) {
        return w;
    }

    /** out[outOff + i] = W[rowStart + i, :] · x[xOff .. xOff + cols) for i in [0, rowCount). */
    void matvec(Tensor w, float[] x, int xOff, float[] out, int outOff, int rowStart, int rowCount);

    default void matvec(Tensor w, float[] x, float[] out) {
        matvec(w, x, 0, out, 0, 0, w.rows());
    }

    /**
     * Two products with the same input in one pass (SwiGLU gate and up): outA = A·x, outB = B·x.
     * A and B must have the same number of columns; they may differ in dtype and rows.
     */
    default void matvec2(Tensor a, Tensor b, float[] x, float[] outA, float[] outB) {
        matvec(a, x, outA);
        matvec(b, x, outB);
    }

    /** Three products with the same input in one pass (attention Q, K, V): outX = X·x. */
    default void matvec3(Tensor a, Tensor b, Tensor c, float[] x, float[] outA, float[] outB, float[] outC) {
        matvec(a, x, outA);
        matvec(b, x, outB);
        matvec(c, x, outC);
    }

    /**
     * Batched product for prompt processing: x holds {@code batch} rows of length cols (row-major),
     * out receives {@code batch} rows of length rows: out[b, r] = W[r, :] · x[b, :].
     */
    default void matmul(Tensor w, float[] x, int batch, float[] out) {
        int cols = w.cols(), rows = w.rows();
        for (int b = 0; b < batch; b++) matvec(w, x, b * cols, out, b * rows, 0, rows);
    }

    /** Two batched products with the same input (SwiGLU gate and up), as {@link #matvec2} for a batch. */
    default void matmul2(Tensor a, Tensor b, float[] x, int batch, float[] outA, float[] outB) {
        matmul(a, x, batch, outA);
        matmul(b, x, batch, outB);
    }

    /** Three batched products with the same input (attention Q, K, V), as {@link #matvec3} for a batch. */
    default void matmul3(Tensor a, Tensor b, Tensor c, float[] x, int batch, float[] outA, float[] outB, float[] outC) {
        matmul(a, x, batch, outA);
        matmul(b, x, batch, outB);
        matmul(c, x, batch, outC);
    }

    /** Row {@code row} of an embedding table, dequantized into dst. */
    default void embedding(Tensor table, int row, float[] dst) {
        table.readRow(row, dst);
    }

    /**
     * Runs {@code body} over {@code [0, n)} in chunks of at most {@code grain} indices, on this backend's
     * threads when it has several (e.g. attention heads). The body must be safe to run concurrently on
     * disjoint chunks. The default runs the chunks inline, in order.
     */
    default void parallelFor(int n, int grain, Parallel.RangeBody body) {
        if (grain < 1) grain = 1;
        for (int s = 0; s < n; s += grain) body.run(s, Math.min(n - s, grain) + s);
    }

    // ---- vector operations of the forward pass (reference semantics: ScalarOps) ----

    /** Σ a[aOff + i] · b[bOff + i] for i in [0, n). */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * q·k of one attention head of {@code n} elements whose first {@code 2·half} are in RoPE's half-split order
     * (see {@code nn.Rope.applyHalfSplit}): the same value as {@link #dot} up to summation order. The scalar
     * reference sums the pairs (i, i + half) in turn, then the tail, which is the order of the interleaved layout.
     */
    float dotHalfSplit(float[] a, int aOff, float[] b, int bOff, int n, int half);

    /**
     * Causal attention of one head for {@code nq} queries at consecutive positions (prompt processing): query b sits
     * at position {@code p = firstPos + b} and attends to the keys {@code t} in {@code [start, p]}, {@code start =
     * window > 0 ? max(0, p − window + 1) : 0}:
     * {@code out[outOff + b·outStride + i] = Σ_t softmax_t(scale · q_b·k_t) · v_t[i]} for i in [0, hs), where
     * {@code q_b = q[qOff + b·qStride ..]}, {@code k_t = kc[kvOff + t·kvStride ..]} and {@code v_t} likewise in vc.
     * q and k are in RoPE's half-split order ({@link #dotHalfSplit}). The default runs query by query with
     * {@link #dotHalfSplit}, {@link #softmax} and a weighted sum, exactly as a decode step does.
     */
    default void attention(float[] q, int qOff, int qStride, int nq, float[] kc, float[] vc, int kvOff, int kvStride,
                           int firstPos, int window, int hs, int half, float scale, float[] out, int outOff, int outStride) {
        attendStepwise(this, q, qOff, qStride, nq, kc, vc, kvOff, kvStride, firstPos, window, hs, half, scale, out, outOff,
                outStride, new float[firstPos + nq]);
    }

    /**
     * {@link #attention} query by query with {@code k}'s {@link #dotHalfSplit}, {@link #softmax} and a weighted sum:
     * the decode step's attention (the forward pass calls it for single tokens) and the default for batches.
     * {@code att} is scratch for the scores of one query (at least {@code firstPos + nq} floats).
     */
    static void attendStepwise(Kernels k, float[] q, int qOff, int qStride, int nq, float[] kc, float[] vc, int kvOff,
                               int kvStride, int firstPos, int window, int hs, int half, float scale, float[] out,
                               int outOff, int outStride, float[] att) {
        for (int b = 0; b < nq; b++) {
            int pos = firstPos + b;
            int start = window > 0 ? Math.max(0, pos - window + 1) : 0;
            int n = pos - start + 1, qo = qOff + b * qStride, oo = outOff + b * outStride;
            // scores: a float reduction, which C2 does not vectorize by itself (it keeps the order)
            for (int t = start; t <= pos; t++) att[t - start] = k.dotHalfSplit(q, qo, kc, kvOff + t * kvStride, hs, half) * scale;
            k.softmax(att, 0, n);
            // weighted sum of values: an element-wise loop, which C2 vectorizes
            java.util.Arrays.fill(out, oo, oo + hs, 0f);
            for (int t = start; t <= pos; t++) {
                float a = att[t - start];
                int vo = kvOff + t * kvStride;
                for (int i = 0; i < hs; i++) out[oo + i] += a * vc[vo + i];
            }
        }
    }

    /** In place: x[off..off+n) = exp(x − max) / Σ exp(x − max). */
    void softmax(float[] x, int off, int n);

    /** out[outOff + i] = x[xOff + i] · weight[i] / sqrt(mean(x²) + eps), for i in [0, n). out may be x. */
    void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps);

    /** out = (x − mean) / sqrt(var + eps) · weight + bias over n elements; bias may be null; out may be x. */
    void layernorm(float[] out, int outOff, float[] x, int xOff, float[] weight, float[] bias, int n, float eps);

    /** In place: x = x · sigmoid(x). */
    void silu(float[] x, int off, int n);

    /** In place: the tanh approximation of GELU ("gelu_new", "gelu_pytorch_tanh"). */
    void geluTanh(float[] x, int off, int n);

    /** In place: exact GELU, x · Φ(x). */
    void geluErf(float[] x, int off, int n);

    /** SwiGLU: gate[i] = silu(gate[i]) · up[i] for i in [0, n). */
    void swiglu(float[] gate, float[] up, int n);

    /**
     * RoPE on one head in half-split order, in place: (x[off+i], x[off+half+i]) rotated by (cos[i], sin[i]) for
     * i in [0, half).
     */
    void rope(float[] x, int off, float[] cos, float[] sin, int half);
}
