package org.taylormlp.nn;

import org.taylormlp.model.ModelConfig;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.Tensor;

/**
 * The ordinary MLP: gated ({@code down(act(gate·x) ⊙ up·x)}, SwiGLU) or plain
 * ({@code down(act(up·x + b_up)) + b_down}, Phi-2's fc1/fc2), with optional biases.
 */
public final class DenseFeedForward implements FeedForward {
    private final Tensor gate, up, down;
    private final float[] upBias, downBias;
    private final ModelConfig.Activation act;
    private final Kernels kernels;
    private final int dim, hidden;
    private float[] g = new float[0], u = new float[0];
    private ActivationProbe probe;

    public DenseFeedForward(Tensor gate, Tensor up, float[] upBias, Tensor down, float[] downBias,
                            ModelConfig.Activation act, Kernels kernels) {
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.upBias = upBias;
        this.downBias = downBias;
        this.act = act;
        this.kernels = kernels;
        this.dim = down.rows();
        this.hidden = up.rows();
    }

    @Override
    public void setProbe(ActivationProbe probe) { this.probe = probe; }

    @Override
    public long weightBytes() {
        return (gate == null ? 0 : gate.byteSize()) + up.byteSize() + down.byteSize();
    }

    @Override
    public void forward(float[] x, float[] out, int batch) {
        int bh = batch * hidden;
        if (u.length < bh) {
            u = new float[bh];
            g = new float[bh];
        }
        float[] h; // the activations fed to the down projection
        if (gate != null) {
            if (batch == 1) {
                kernels.matvec2(gate, up, x, g, u);
            } else {
                kernels.matmul2(gate, up, x, batch, g, u);
            }
            if (probe != null) for (int b = 0; b < batch; b++) probe.accept(g, b * hidden, hidden);
            if (act == ModelConfig.Activation.SILU) {
                kernels.swiglu(g, u, bh); // g = silu(g) · u
            } else {
                activate(g, bh);
                for (int i = 0; i < bh; i++) g[i] *= u[i];
            }
            h = g;
        } else {
            kernels.matmul(up, x, batch, u);
            if (upBias != null) for (int b = 0; b < batch; b++) for (int i = 0; i < hidden; i++) u[b * hidden + i] += upBias[i];
            if (probe != null) for (int b = 0; b < batch; b++) probe.accept(u, b * hidden, hidden);
            activate(u, bh);
            h = u;
        }
        kernels.matmul(down, h, batch, out);
        if (downBias != null) {
            for (int b = 0; b < batch; b++) for (int i = 0; i < dim; i++) out[b * dim + i] += downBias[i];
        }
    }

    /** In place over x[0, n), by the kernels. */
    private void activate(float[] x, int n) {
        switch (act) {
            case SILU -> kernels.silu(x, 0, n);
            case GELU_TANH -> kernels.geluTanh(x, 0, n);
            case GELU_ERF -> kernels.geluErf(x, 0, n);
        }
    }
}
