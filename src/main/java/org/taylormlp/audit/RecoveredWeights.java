package org.taylormlp.audit;

import org.taylormlp.model.ModelConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * An ordinary MLP per layer rebuilt from a release: the clear neurons first (as published), then the recovered
 * protected neurons in the release's order. The original neuron order is not recoverable from the file (and does
 * not matter: an MLP is invariant under a permutation of its hidden neurons).
 */
final class RecoveredWeights {
    /** One layer: gate/up [hidden, dim] row-major, upBias [hidden] (plain MLPs), down [dim, hidden]. */
    static final class Layer {
        final int dim, hidden, clear, m;
        final float[] gate, up, upBias, down, downBias;
        final NeuronSolver.Fit[] fits;

        Layer(ModelConfig c, ReleaseLayer rl) {
            dim = c.dim();
            hidden = c.hiddenDim();
            clear = rl.clear();
            m = rl.m();
            gate = c.gatedMlp() ? new float[hidden * dim] : null;
            up = new float[hidden * dim];
            upBias = c.mlpBias() ? new float[hidden] : null;
            down = new float[dim * hidden];
            downBias = rl.downBias();
            fits = new NeuronSolver.Fit[m];
            if (clear > 0) {
                if (gate != null) System.arraycopy(rl.clearGate(), 0, gate, 0, clear * dim);
                System.arraycopy(rl.clearUp(), 0, up, 0, clear * dim);
                if (upBias != null && rl.clearUpBias() != null) System.arraycopy(rl.clearUpBias(), 0, upBias, 0, clear);
                for (int i = 0; i < dim; i++) System.arraycopy(rl.clearDown(), i * clear, down, i * hidden, clear);
            }
        }

        /** Index in this layer's hidden dimension of protected neuron j. */
        int index(int j) { return clear + j; }

        /** Number of protected neurons whose fit succeeded. */
        int solved() {
            int n = 0;
            for (NeuronSolver.Fit f : fits) if (f != null && f.ok()) n++;
            return n;
        }
    }

    final List<Layer> layers = new ArrayList<>();
}
