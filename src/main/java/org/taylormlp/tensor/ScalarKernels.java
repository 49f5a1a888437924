package org.taylormlp.tensor;

/**
 * Plain single-threaded kernels: the reference every fast kernel is tested against, complete enough to run a whole
 * model (the element-wise operations are {@link ScalarOps}).
 */
public final class ScalarKernels implements Kernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    @Override
    public String name() { return "scalar"; }

    @Override
    public String describe() { return "scalar reference kernels (no Vector API), 1 thread"; }

    /** Σ w·x in float, column by column; with quantized weights, x rounded first ({@link ActivationRounding}). */
    @Override
    public void matvec(Tensor w, float[] x, int xOff, float[] out, int outOff, int rowStart, int rowCount) {
        int cols = w.cols();
        float[] row = new float[cols];
        if (ActivationRounding.appliesTo(w.dtype())) {
            float[] xr = new float[cols];
            ActivationRounding.round(x, xOff, cols, xr, 0);
            x = xr;
            xOff = 0;
        }
        for (int i = 0; i < rowCount; i++) {
            w.readRow(rowStart + i, row);
            float s = 0f;
            for (int c = 0; c < cols; c++) s += row[c] * x[xOff + c];
            out[outOff + i] = s;
        }
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) { return ScalarOps.dot(a, aOff, b, bOff, n); }

    @Override
    public float dotHalfSplit(float[] a, int aOff, float[] b, int bOff, int n, int half) {
        return ScalarOps.dotHalfSplit(a, aOff, b, bOff, n, half);
    }

    @Override
    public void softmax(float[] x, int off, int n) { ScalarOps.softmax(x, off, n); }

    @Override
    public void rmsnorm(float[] out, int outOff, float[] x, int xOff, float[] weight, int n, float eps) {
        ScalarOps.rmsnorm(out, outOff, x, xOff, weight, n, eps);
    }

    @Override
    public void layernorm(float[] out, int outOff, float[] x, int xOff, float[] weight, float[] bias, int n, float eps) {
        ScalarOps.layernorm(out, outOff, x, xOff, weight, bias, n, eps);
    }

    @Override
    public void silu(float[] x, int off, int n) { ScalarOps.silu(x, off, n); }

    @Override
    public void geluTanh(float[] x, int off, int n) { ScalarOps.gelu(x, off, n); }

    @Override
    public void geluErf(float[] x, int off, int n) { ScalarOps.geluErf(x, off, n); }

    @Override
    public void swiglu(float[] gate, float[] up, int n) { ScalarOps.swiglu(gate, up, n); }

    @Override
    public void rope(float[] x, int off, float[] cos, float[] sin, int half) { ScalarOps.rope(x, off, cos, sin, half); }
}
