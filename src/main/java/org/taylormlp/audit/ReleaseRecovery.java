package org.taylormlp.audit;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufKeys;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.ReleaseFormat;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.HfTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The zero-query recovery of {@link ZeroQueryAttack} without its report: a release in, an ordinary model
 * (the release's clear tensors plus every layer's rebuilt MLP) out, written by {@link #write} with the writer
 * {@code convert} uses ({@link ModelWriters}). Used by {@code trace} to read a release the way an attacker would.
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
        return new Recovered(model(release, rec), prot, unsolved);
    }

    /** Name recorded in a recovered checkpoint ({@code general.name} of its GGUF). */
    static final String NAME = "recovered from a taylormlp release by taylormlp audit";

    /**
     * The recovered model: the release's tensors other than its MLPs and Taylor coefficients, plus every layer's
     * rebuilt MLP, with the release's configuration and tokenizer. It borrows the release's tensors and owns nothing.
     */
    static Model model(Model release, RecoveredWeights rec) {
        ModelConfig c = release.config();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : release.tensors().entrySet()) {
            if (!Protector.isMlpTensor(e.getKey()) && !ReleaseFormat.isTaylorTensor(e.getKey())) out.put(e.getKey(), e.getValue());
        }
        for (int l = 0; l < c.nLayers(); l++) {
            RecoveredWeights.Layer r = rec.layers.get(l);
            if (r.gate != null) put(out, TensorNames.blk(l, TensorNames.FFN_GATE), r.gate, r.hidden, r.dim);
            put(out, TensorNames.blk(l, TensorNames.FFN_UP), r.up, r.hidden, r.dim);
            if (r.upBias != null) put(out, TensorNames.blk(l, TensorNames.FFN_UP_BIAS), r.upBias, r.hidden);
            put(out, TensorNames.blk(l, TensorNames.FFN_DOWN), r.down, r.dim, r.hidden);
            if (r.downBias != null) put(out, TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS), r.downBias, r.dim);
        }
        return new Model(release.source(), "recovered " + release.format(), c, out, release.tokenizer(),
                Map.of(GgufKeys.NAME, NAME), List.of());
    }

    private static void put(Map<String, Tensor> out, String name, float[] data, long... shape) {
        out.put(name, Tensor.ofFloats(name, data, shape));
    }

    /**
     * Writes a recovered model into {@code dir} as an ordinary checkpoint, with the writer {@code convert} uses:
     * a GGUF file with the tokenizer embedded ({@code recovered.gguf}), or a Hugging Face folder
     * ({@code recovered-hf}, replacing an earlier one) when the release's tokenizer came from one. Tensors keep
     * their dtypes; Q/K rows are permuted where the release's RoPE layout differs from the target's.
     *
     * @return the written file or folder
     */
    static Path write(Model recovered, Path dir) {
        try {
            if (recovered.tokenizer() instanceof HfTokenizer) {
                return ModelWriters.writeHf(recovered, null, dir.resolve("recovered-hf"), ModelWriters.DEFAULT_SHARD_BYTES, true).output();
            }
            return ModelWriters.writeGguf(recovered, null, dir.resolve("recovered.gguf")).output();
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write the recovered checkpoint in " + dir + ": " + e.getMessage(), e);
        }
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
