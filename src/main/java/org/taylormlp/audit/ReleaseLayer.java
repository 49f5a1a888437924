package org.taylormlp.audit;

import org.taylormlp.format.ModelFormatException;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.taylor.ReleaseFormat;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.Tensor;

/**
 * The MLP tensors of one release layer, read into float arrays: exactly what a release publishes, nothing more
 * (the protected neurons' indices are not in the file).
 *
 * @param clear     number of neurons in the clear (ffn_gate/ffn_up/ffn_down)
 * @param m         number of protected neurons
 * @param in        taylor_in [m, dim] = W_gate[S]/r (gated) or W_fc1[S]/r (plain)
 * @param inBias    taylor_in.bias [m] = (b − z0)/r
 * @param up        taylor_up [m, dim] (gated) or null
 * @param theta     taylor_theta [dim, m·(N+1)]
 * @param z0        taylor_z0 [m] when published, else null
 * @param clearGate ffn_gate [clear, dim] or null
 * @param clearUp   ffn_up [clear, dim] or null (no clear neurons)
 * @param clearUpBias ffn_up.bias [clear] or null
 * @param clearDown ffn_down [dim, clear] or null
 * @param downBias  ffn_down.bias [dim] or null
 */
record ReleaseLayer(int layer, int dim, int hidden, int clear, int m, int order, float[] in, float[] inBias, float[] up,
                    float[] theta, float[] z0, float[] clearGate, float[] clearUp, float[] clearUpBias, float[] clearDown,
                    float[] downBias) {

    static ReleaseLayer read(Model release, int l) {
        ReleaseReader.Info info = ReleaseReader.info(release);
        if (info == null) throw new ModelFormatException(release.source(), "not a taylormlp release");
        ModelConfig c = release.config();
        int m = info.protectedPerLayer()[l], clear = c.hiddenDim() - m, n1 = info.order() + 1;
        float[] in = null, inBias = null, up = null, theta = null, z0 = null;
        if (m > 0) {
            in = floats(release, ReleaseFormat.taylorIn(l), (long) m * c.dim());
            inBias = floats(release, ReleaseFormat.taylorInBias(l), m);
            if (c.gatedMlp()) up = floats(release, ReleaseFormat.taylorUp(l), (long) m * c.dim());
            theta = floats(release, ReleaseFormat.taylorTheta(l), (long) c.dim() * m * n1);
            if (info.z0Published()) z0 = floats(release, ReleaseFormat.taylorZ0(l), m);
        }
        float[] cg = null, cu = null, cub = null, cd = null;
        if (clear > 0) {
            if (c.gatedMlp()) cg = floats(release, TensorNames.blk(l, TensorNames.FFN_GATE), (long) clear * c.dim());
            cu = floats(release, TensorNames.blk(l, TensorNames.FFN_UP), (long) clear * c.dim());
            cd = floats(release, TensorNames.blk(l, TensorNames.FFN_DOWN), (long) clear * c.dim());
            Tensor b = release.optional(TensorNames.blk(l, TensorNames.FFN_UP_BIAS));
            if (b != null) cub = floats(release, b.name(), clear);
        }
        Tensor db = release.optional(TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS));
        float[] downBias = db == null ? null : floats(release, db.name(), c.dim());
        return new ReleaseLayer(l, c.dim(), c.hiddenDim(), clear, m, info.order(), in, inBias, up, theta, z0, cg, cu, cub,
                cd, downBias);
    }

    private static float[] floats(Model release, String name, long expected) {
        Tensor t = release.require(name);
        if (t.size() != expected) {
            throw new ModelFormatException(release.source(), "tensor '" + name + "' has " + t.size() + " values, expected " + expected);
        }
        if (expected > Integer.MAX_VALUE - 16) throw new ModelFormatException(release.source(), "tensor '" + name + "' too large for the audit");
        return t.toFloats();
    }

    /** Coefficient columns of protected neuron j: cols[n][i] = Θ[i, j(N+1)+n]. */
    double[][] columns(int j) {
        int n1 = order + 1, w = m * n1;
        double[][] cols = new double[n1][dim];
        for (int i = 0; i < dim; i++) {
            int o = i * w + j * n1;
            for (int n = 0; n < n1; n++) cols[n][i] = theta[o + n];
        }
        return cols;
    }
}
