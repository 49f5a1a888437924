package org.taylormlp.fuzz;

import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.nn.Transformer;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.KernelsProvider;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.Collection;
import java.util.function.IntFunction;

/** What a fuzz target does with a file that opened: read every tensor, tokenize, build the network, run two tokens. */
final class Exercise {
    private Exercise() {}

    private static final Kernels KERNELS = KernelsProvider.create(1);

    static void tensors(Collection<Tensor> ts) {
        for (Tensor t : ts) t.toFloats();
    }

    static void tokenizer(Tokenizer tok) {
        int[] ids = tok.encode("Once upon a time, <s> a cat\n\u00e9\u4e16 \uD83D\uDE00 ", true);
        int prev = -1;
        for (int id : ids) {
            tok.tokenBytes(prev, id);
            prev = id;
        }
    }

    /** The model as the engine uses it: every tensor, the tokenizer, the transformer, a two-token forward pass. */
    static void model(Model m) {
        tensors(m.tensors().values());
        tokenizer(m.tokenizer());
        IntFunction<FeedForward> ffn = ReleaseReader.info(m) != null ? ReleaseReader.feedForwards(m, KERNELS) : null;
        Transformer t = new Transformer(m, KERNELS, 8, 2, ffn);
        int v = m.config().vocabSize();
        t.forward(new int[] {Math.min(1, v - 1), v - 1}, 0, 2, 0);
    }
}
