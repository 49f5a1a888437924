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
        if (u.length < batch * hidden) {
            u = new float[batch * hidden];
            g = new float[batch * hidden];
        }
        if (gate != null) {
            kernels.matmul(gate, x, batch, g);
            kernels.matmul(up, x, batch, u);
            for (int b = 0; b < batch; b++) {
                int o = b * hidden;
                if (probe != null) probe.accept(g, o, hidden);
                for (int i = 0; i < hidden; i++) u[o + i] *= activate(g[o + i]);
            }
        } else {
            kernels.matmul(up, x, batch, u);
            for (int b = 0; b < batch; b++) {
                int o = b * hidden;
                if (upBias != null) for (int i = 0; i < hidden; i++) u[o + i] += upBias[i];
                if (probe != null) probe.accept(u, o, hidden);
                for (int i = 0; i < hidden; i++) u[o + i] = activate(u[o + i]);
            }
        }
        kernels.matmul(down, u, batch, out);
        if (downBias != null) {
            for (int b = 0; b < batch; b++) for (int i = 0; i < dim; i++) out[b * dim + i] += downBias[i];
        }
    }

    private float activate(float z) {
        return switch (act) {
            case SILU -> Ops.silu(z);
            case GELU_TANH -> Ops.geluTanh(z);
            case GELU_ERF -> Ops.geluErf(z);
        };
    }
}
