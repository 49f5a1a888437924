package org.taylormlp.runtime;

import org.taylormlp.model.Model;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.tensor.Tensor;

import java.util.Arrays;
import java.util.Map;

/** Human-readable description of a loaded model (the {@code inspect} command). */
public final class Inspector {
    private Inspector() {}

    public static String describe(Model m, boolean tensors) {
        ModelConfig c = m.config();
        StringBuilder sb = new StringBuilder();
        sb.append("file:          ").append(m.source()).append('\n');
        sb.append("format:        ").append(m.format()).append('\n');
        sb.append("architecture:  ").append(c.architecture().name().toLowerCase()).append('\n');
        sb.append(String.format("dim %d, hidden %d, layers %d, heads %d (kv %d), head dim %d, vocab %d, context %d%n",
                c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headDim(), c.vocabSize(), c.contextLength()));
        sb.append(String.format("norm %s eps %.3g; rope %s theta %.6g rotary dims %d%s%s%n", c.normType(), c.normEps(),
                c.ropeStyle(), c.ropeTheta(), c.rotaryDim(),
                c.ropeScaling() == null ? "" : ", llama3 scaling x" + c.ropeScaling().factor(),
                c.slidingWindow() > 0 ? ", sliding window " + c.slidingWindow() : ""));
        sb.append(String.format("mlp %s %s; biases: qkv %s, out %s, mlp %s, head %s; tied embeddings %s; %s residual%n",
                c.gatedMlp() ? "gated" : "plain", c.activation(), c.attnQkvBias(), c.attnOutBias(), c.mlpBias(),
                c.outputBias(), c.tiedEmbeddings(), c.parallelResidual() ? "parallel" : "sequential"));
        if (m.tokenizer() != null) {
            sb.append(String.format("tokenizer:     %s, vocab %d, bos %d, eos %d%n", m.tokenizer().getClass().getSimpleName(),
                    m.tokenizer().vocabSize(), m.tokenizer().bosId(), m.tokenizer().eosId()));
        }
        long bytes = 0;
        for (Tensor t : m.tensors().values()) bytes += t.byteSize();
        sb.append(String.format("parameters:    %,d (%.2f M) in %d tensors, %,d bytes%n", m.parameterCount(),
                m.parameterCount() / 1e6, m.tensors().size(), bytes));
        String release = releaseSection(m);
        if (release != null) sb.append(release);
        if (tensors) {
            sb.append(String.format("%n%-40s %-6s %-22s %14s%n", "tensor", "dtype", "shape", "bytes"));
            for (Map.Entry<String, Tensor> e : m.tensors().entrySet()) {
                Tensor t = e.getValue();
                sb.append(String.format("%-40s %-6s %-22s %,14d%n", e.getKey(), t.dtype(), Arrays.toString(t.shape()), t.byteSize()));
            }
        }
        return sb.toString();
    }

    /** The release part of {@code inspect}: order, coverage per layer, error bounds, parameters in the clear. */
    private static String releaseSection(org.taylormlp.model.Model m) {
        ReleaseReader.Info i = ReleaseReader.info(m);
        if (i == null) return null;
        StringBuilder sb = new StringBuilder("\ntaylormlp release (format " + i.formatVersion() + ", " + i.toolVersion() + ")\n");
        sb.append(String.format("order N = %d, activation %s, selection %s, out of range: %s, z0 %s%n", i.order(),
                i.activation(), i.selection(), i.clamp() > 0 ? "clamp " + i.clamp() : "polynomial",
                i.z0Published() ? "published" : "hidden"));
        int hidden = m.config().hiddenDim();
        long prot = 0;
        for (int p : i.protectedPerLayer()) prot += p;
        sb.append(String.format("protected neurons: %,d of %,d (%.1f %%)%n", prot, (long) hidden * i.protectedPerLayer().length,
                100.0 * prot / ((long) hidden * i.protectedPerLayer().length)));
        sb.append(String.format("stored in the clear: %.1f %% of MLP parameters, %.1f %% of all original parameters%n",
                100 * i.fractionMlpParamsInClear(), 100 * i.fractionParamsInClear()));
        sb.append("layer  protected/hidden  coverage  truncation bound (worst-ratio neuron, calibrated range)\n");
        for (int l = 0; l < i.protectedPerLayer().length; l++) {
            sb.append(String.format("%5d  %7d/%-7d  %6.1f %%  %.3g%n", l, i.protectedPerLayer()[l], hidden,
                    100.0 * i.protectedPerLayer()[l] / hidden, i.errorBounds()[l]));
        }
        sb.append("source sha256: ").append(i.sourceSha256()).append('\n');
        org.taylormlp.taylor.ReleaseIntegrity.Report r = org.taylormlp.taylor.ReleaseIntegrity.report(m);
        if (r != null) {
            sb.append("integrity: ").append(r.describe()).append('\n');
            if (r.recipient() != null) sb.append("issued to: ").append(r.recipient()).append(" (owner key ").append(r.ownerKeyId()).append(")\n");
        }
        return sb.toString();
    }
}
