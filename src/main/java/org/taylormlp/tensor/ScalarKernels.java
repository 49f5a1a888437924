package org.taylormlp.tensor;

/** Plain single-threaded kernels: the reference every fast kernel is tested against. */
public final class ScalarKernels implements Kernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    @Override
    public String name() { return "scalar"; }

    @Override
    public String describe() { return "scalar reference kernels (no Vector API), 1 thread"; }

    @Override
    public void matvec(Tensor w, float[] x, int xOff, float[] out, int outOff, int rowStart, int rowCount) {
        int cols = w.cols();
        float[] row = new float[cols];
        for (int i = 0; i < rowCount; i++) {
            w.readRow(rowStart + i, row);
            float s = 0f;
            for (int c = 0; c < cols; c++) s += row[c] * x[xOff + c];
            out[outOff + i] = s;
        }
    }
}
