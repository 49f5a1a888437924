package org.taylormlp.audit;

import org.taylormlp.format.ModelFormatException;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.Tensor;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The zero-query recovery of {@link ZeroQueryAttack} without its report: a release in, an ordinary model
 * (the release's clear tensors plus every layer's rebuilt MLP, as {@link CheckpointWriter} writes it) out.
 * Used by {@code trace} to read a release the way an attacker would.
 */
public final class ReleaseRecovery {
    private ReleaseRecovery() {}

    /** Result: the recovered model and the number of protected neurons whose fit failed (left at zero). */
    public record Recovered(Model model, long protectedNeurons, long unsolved) {}

    /**
     * @param release a loaded release (not closed here; the returned model borrows its clear tensors, so close the
     *                release after the recovered model is no longer used)
     */
    public static Recovered recover(Model release) {
        ReleaseReader.Info info = ReleaseReader.info(release);
        if (info == null) throw new ModelFormatException(release.source(), "not a taylormlp release");
        ModelConfig c = release.config();
        NeuronSolver solver = new NeuronSolver(c.activation(), info.order());
        NeuronSolver.Mode mode = mode(info, c);
        RecoveredWeights rec = new RecoveredWeights();
        long prot = 0, unsolved = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            ReleaseLayer rl = ReleaseLayer.read(release, l);
            RecoveredWeights.Layer layer = solveLayer(c, rl, solver, mode);
            rec.layers.add(layer);
            prot += rl.m();
            unsolved += rl.m() - layer.solved();
        }
        Map<String, Tensor> ts = CheckpointWriter.tensors(release, rec);
        Model m = new Model(release.source(), "recovered " + release.format(), c, ts, release.tokenizer(), Map.of(), List.of());
        return new Recovered(m, prot, unsolved);
    }

    /** How the neurons of this release are solved: closed form with published z0, else a 1-D search. */
    static NeuronSolver.Mode mode(ReleaseReader.Info info, ModelConfig c) {
        return info.z0Published() ? NeuronSolver.Mode.PUBLISHED
                : c.gatedMlp() ? NeuronSolver.Mode.HIDDEN_GATED : NeuronSolver.Mode.HIDDEN_UNGATED;
    }

    /**
     * Solves every protected neuron of one layer (in parallel) and rebuilds the layer's MLP weights; a neuron
     * whose fit fails stays zero (its {@code fits[j]} says so).
     */
    static RecoveredWeights.Layer solveLayer(ModelConfig c, ReleaseLayer rl, NeuronSolver solver, NeuronSolver.Mode mode) {
        int dim = c.dim();
        RecoveredWeights.Layer layer = new RecoveredWeights.Layer(c, rl);
        IntStream.range(0, rl.m()).parallel().forEach(j -> {
            double z0pub = rl.z0() == null ? Double.NaN : rl.z0()[j];
            NeuronSolver.Fit f = solver.solve(rl.columns(j), rl.inBias()[j], z0pub, mode);
            layer.fits[j] = f;
            int h = layer.index(j);
            if (!f.ok()) return;
            float[] inRow = c.gatedMlp() ? layer.gate : layer.up;
            for (int k = 0; k < dim; k++) inRow[h * dim + k] = (float) (rl.in()[j * dim + k] * f.r());
            if (c.gatedMlp()) System.arraycopy(rl.up(), j * dim, layer.up, h * dim, dim);
            if (layer.upBias != null) layer.upBias[h] = (float) (rl.inBias()[j] * f.r() + f.z0());
            for (int i = 0; i < dim; i++) layer.down[i * layer.hidden + h] = (float) f.w()[i];
        });
        return layer;
    }
}
