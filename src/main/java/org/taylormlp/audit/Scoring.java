package org.taylormlp.audit;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;

import java.util.stream.IntStream;

/** Comparison of recovered weights with the original's (used only to score; attacks never read the original). */
final class Scoring {
    private Scoring() {}

    /** The original's MLP matrices of one layer as floats: inRows = gate (gated) or fc1 rows [hidden, dim]. */
    record OriginalLayer(float[] inRows, float[] inBias, float[] down, int dim, int hidden) {
        static OriginalLayer read(Model original, int l) {
            ModelConfig c = original.config();
            String in = c.gatedMlp() ? TensorNames.FFN_GATE : TensorNames.FFN_UP;
            float[] b = null;
            if (!c.gatedMlp() && original.optional(TensorNames.blk(l, TensorNames.FFN_UP_BIAS)) != null) {
                b = original.require(TensorNames.blk(l, TensorNames.FFN_UP_BIAS)).toFloats();
            }
            return new OriginalLayer(original.require(TensorNames.blk(l, in)).toFloats(), b,
                    original.require(TensorNames.blk(l, TensorNames.FFN_DOWN)).toFloats(), c.dim(), c.hiddenDim());
        }

        double[] downColumn(int i) {
            double[] w = new double[dim];
            for (int r = 0; r < dim; r++) w[r] = down[r * hidden + i];
            return w;
        }
    }

    static void checkCompatible(ModelConfig release, ModelConfig original) {
        if (release.dim() != original.dim() || release.hiddenDim() != original.hiddenDim() || release.nLayers() != original.nLayers()
                || release.gatedMlp() != original.gatedMlp()) {
            throw new TaylorMlpException("--original does not match the release: dim/hidden/layers " + original.dim() + "/"
                    + original.hiddenDim() + "/" + original.nLayers() + " vs " + release.dim() + "/" + release.hiddenDim() + "/"
                    + release.nLayers());
        }
    }

    /**
     * Matches each recovered input row (gate or fc1 row of a protected neuron, [m, dim]) to the original neuron
     * whose row has the largest |cosine|; returns {index, cosine} per row.
     */
    static int[] match(OriginalLayer o, float[] rows, int m, double[] cosOut) {
        int dim = o.dim, hidden = o.hidden;
        double[] on = new double[hidden];
        for (int i = 0; i < hidden; i++) {
            double s = 0;
            for (int k = 0; k < dim; k++) s += (double) o.inRows[i * dim + k] * o.inRows[i * dim + k];
            on[i] = Math.sqrt(s);
        }
        int[] idx = new int[m];
        IntStream.range(0, m).parallel().forEach(j -> {
            double rn = 0;
            for (int k = 0; k < dim; k++) rn += (double) rows[j * dim + k] * rows[j * dim + k];
            rn = Math.sqrt(rn);
            int best = -1;
            double bestCos = 0;
            for (int i = 0; i < hidden; i++) {
                double s = 0;
                for (int k = 0; k < dim; k++) s += (double) rows[j * dim + k] * o.inRows[i * dim + k];
                double cos = s / (rn * on[i]);
                if (best < 0 || Math.abs(cos) > Math.abs(bestCos)) {
                    best = i;
                    bestCos = cos;
                }
            }
            idx[j] = best;
            cosOut[j] = bestCos;
        });
        return idx;
    }

    static double norm2(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return s;
    }

    static double diff2(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return s;
    }
}
