package org.taylormlp.app;

import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.tensor.Tensor;

import java.util.Arrays;
import java.util.Map;

/** Human-readable description of a loaded model (the {@code inspect} command). */
public final class Inspector {
    private Inspector() {}

    /** Extra sections contributed by other layers (the release summary). */
    public interface Section {
        String describe(Model m);
    }

    private static final java.util.List<Section> SECTIONS = new java.util.concurrent.CopyOnWriteArrayList<>();

    public static void addSection(Section s) { SECTIONS.add(s); }

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
        for (Section s : SECTIONS) {
            String extra = s.describe(m);
            if (extra != null && !extra.isEmpty()) sb.append(extra);
        }
        if (tensors) {
            sb.append(String.format("%n%-40s %-6s %-22s %14s%n", "tensor", "dtype", "shape", "bytes"));
            for (Map.Entry<String, Tensor> e : m.tensors().entrySet()) {
                Tensor t = e.getValue();
                sb.append(String.format("%-40s %-6s %-22s %,14d%n", e.getKey(), t.dtype(), Arrays.toString(t.shape()), t.byteSize()));
            }
        }
        return sb.toString();
    }
}
