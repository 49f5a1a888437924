package org.taylormlp.taylor;

import org.taylormlp.nn.FeedForward;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.Tensor;

/**
 * The feed-forward block of a release. Unprotected neurons run as an ordinary MLP ({@code clear}, may be null);
 * each protected neuron j contributes Σ_n Θ[:, j, n] · t_jⁿ · u_j where
 * t_j = in_j·x + inBias_j = (g_j − z0_j) / r_j is the normalised distance from the expansion point and u_j the
 * up projection (1 for ungated MLPs); {@code outBias} is the down projection's bias (Phi-2), null otherwise. Θ is stored as one [dim, m·(N+1)] matrix, so the whole Taylor part is a
 * single matrix-vector product over the powers vector p[j·(N+1)+n] = t_jⁿ·u_j: one fused pass, no temporaries
 * per order. Powers are computed by repeated multiplication (no log/exp).
 */
public final class TaylorFeedForward implements FeedForward {
    private final FeedForward clear;
    private final Tensor in, up, theta;
    private final float[] inBias, outBias;
    private final int order, m, dim;
    private final float clampAbs;
    private final Kernels kernels;
    private float[] t = new float[0], u = new float[0], p = new float[0], tmp = new float[0];
    private ActivationProbe probe;

    /**
     * @param clampAbs if positive, |t| is clipped to this value before the powers are formed (a documented
     *                 out-of-range policy); 0 evaluates the polynomial as is.
     */
    public TaylorFeedForward(FeedForward clear, Tensor in, float[] inBias, Tensor up, Tensor theta, float[] outBias,
                             int order, float clampAbs, Kernels kernels) {
        this.clear = clear;
        this.outBias = outBias;
        this.in = in;
        this.inBias = inBias;
        this.up = up;
        this.theta = theta;
        this.order = order;
        this.m = in.rows();
        this.dim = theta.rows();
        this.clampAbs = clampAbs;
        this.kernels = kernels;
        if (theta.cols() != m * (order + 1)) {
            throw new IllegalArgumentException("theta has " + theta.cols() + " columns, expected " + m + "·(" + order + "+1)");
        }
    }

    public int protectedNeurons() { return m; }
    public int order() { return order; }

    @Override
    public void setProbe(ActivationProbe probe) {
        this.probe = probe;
    }

    @Override
    public long weightBytes() {
        return (clear == null ? 0 : clear.weightBytes()) + in.byteSize() + (up == null ? 0 : up.byteSize()) + theta.byteSize();
    }

    @Override
    public void forward(float[] x, float[] out, int batch) {
        int w = m * (order + 1);
        if (t.length < batch * m) {
            t = new float[batch * m];
            u = new float[batch * m];
        }
        if (p.length < batch * w) p = new float[batch * w];
        if (tmp.length < batch * dim) tmp = new float[batch * dim];
        if (batch == 1 && up != null && in.cols() == up.cols()) {
            kernels.matvec2(in, up, x, t, u); // one pass over x for both projections
        } else {
            if (up != null && in.cols() == up.cols()) {
                kernels.matmul2(in, up, x, batch, t, u);
            } else {
                kernels.matmul(in, x, batch, t);
                if (up != null) kernels.matmul(up, x, batch, u);
            }
        }
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < m; j++) {
                float tj = t[b * m + j] + inBias[j];
                if (clampAbs > 0) tj = Math.max(-clampAbs, Math.min(clampAbs, tj));
                t[b * m + j] = tj;
                float pw = up != null ? u[b * m + j] : 1f;
                int o = b * w + j * (order + 1);
                for (int n = 0; n <= order; n++) {
                    p[o + n] = pw;
                    pw *= tj;
                }
            }
            if (probe != null) probe.accept(t, b * m, m);
        }
        kernels.matmul(theta, p, batch, out);
        if (clear != null) {
            clear.forward(x, tmp, batch);
            for (int i = 0; i < batch * dim; i++) out[i] += tmp[i];
        }
        if (outBias != null) {
            for (int b = 0; b < batch; b++) for (int i = 0; i < dim; i++) out[b * dim + i] += outBias[i];
        }
    }


    /** An ordinary MLP plus the down projection's bias (a release layer with no protected neuron, Phi-2). */
    public static final class BiasOnly implements FeedForward {
        private final FeedForward inner;
        private final float[] bias;
        private final int dim;

        public BiasOnly(FeedForward inner, float[] bias, int dim) {
            this.inner = inner;
            this.bias = bias;
            this.dim = dim;
        }

        @Override
        public void forward(float[] x, float[] out, int batch) {
            inner.forward(x, out, batch);
            for (int b = 0; b < batch; b++) for (int i = 0; i < dim; i++) out[b * dim + i] += bias[i];
        }

        @Override
        public long weightBytes() { return inner.weightBytes(); }

        @Override
        public void setProbe(ActivationProbe probe) { inner.setProbe(probe); }
    }
}
