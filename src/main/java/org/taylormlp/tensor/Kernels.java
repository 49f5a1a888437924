package org.taylormlp.tensor;

/**
 * The compute kernels the forward pass uses. Weight matrices are {@link Tensor}s of shape [rows, cols]
 * (any {@link DType}); activations are float arrays. Implementations: {@link ScalarKernels} (the plain
 * reference, test oracle) and the Vector API kernels chosen at start-up by {@link KernelsProvider}.
 */
public interface Kernels {
    String name();

    /** out[outOff + i] = W[rowStart + i, :] · x[xOff .. xOff + cols) for i in [0, rowCount). */
    void matvec(Tensor w, float[] x, int xOff, float[] out, int outOff, int rowStart, int rowCount);

    default void matvec(Tensor w, float[] x, float[] out) {
        matvec(w, x, 0, out, 0, 0, w.rows());
    }

    /**
     * Batched product for prompt processing: x holds {@code batch} rows of length cols (row-major),
     * out receives {@code batch} rows of length rows: out[b, r] = W[r, :] · x[b, :].
     */
    default void matmul(Tensor w, float[] x, int batch, float[] out) {
        int cols = w.cols(), rows = w.rows();
        for (int b = 0; b < batch; b++) matvec(w, x, b * cols, out, b * rows, 0, rows);
    }

    /** Row {@code row} of an embedding table, dequantized into dst. */
    default void embedding(Tensor table, int row, float[] dst) {
        table.readRow(row, dst);
    }
}
