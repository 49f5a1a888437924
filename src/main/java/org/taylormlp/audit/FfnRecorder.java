package org.taylormlp.audit;

import org.taylormlp.model.Model;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.nn.Transformer;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.Kernels;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Records every layer's feed-forward input x (the normalised hidden state) and output y while a model runs, by
 * wrapping its feed-forward blocks: the {@link Transformer} takes a per-layer factory, so no hook inside the engine
 * is needed. This is exactly what anyone who can run a release can observe.
 */
final class FfnRecorder {
    /** Inputs and outputs of one layer: T rows of dim floats each. */
    record Trace(float[] x, float[] y, int tokens, int dim) {}

    private static final class Recording implements FeedForward {
        final FeedForward inner;
        final int dim;
        float[] xs = new float[0], ys = new float[0];
        int rows, limit;

        Recording(FeedForward inner, int dim, int limit) {
            this.inner = inner;
            this.dim = dim;
            this.limit = limit;
        }

        @Override
        public void forward(float[] x, float[] out, int batch) {
            inner.forward(x, out, batch);
            int take = Math.min(batch, limit - rows);
            if (take <= 0) return;
            if ((long) (rows + take) * dim > xs.length) {
                int cap = (int) Math.min((long) limit * dim, Math.max((long) (rows + take) * dim, 2L * xs.length));
                xs = Arrays.copyOf(xs, cap);
                ys = Arrays.copyOf(ys, cap);
            }
            System.arraycopy(x, 0, xs, rows * dim, take * dim);
            System.arraycopy(out, 0, ys, rows * dim, take * dim);
            rows += take;
        }

        @Override
        public long weightBytes() { return inner.weightBytes(); }
    }

    private FfnRecorder() {}

    /** Runs the release on up to {@code maxTokens} tokens of {@code seqs} and returns each layer's trace. */
    static Trace[] record(Model release, Kernels kernels, List<int[]> seqs, int maxTokens, int maxContext) {
        IntFunction<FeedForward> base = ReleaseReader.feedForwards(release, kernels);
        int layers = release.config().nLayers(), dim = release.config().dim();
        Recording[] rec = new Recording[layers];
        Transformer t = new Transformer(release, kernels, maxContext, Transformer.DEFAULT_BATCH, l -> rec[l] = new Recording(base.apply(l), dim, maxTokens));
        int done = 0;
        for (int[] s : seqs) {
            if (done >= maxTokens) break;
            for (int start = 0; start < s.length && done < maxTokens; start += t.maxContext()) {
                int n = Math.min(Math.min(t.maxContext(), s.length - start), maxTokens - done);
                t.forward(s, start, n, 0);
                done += n;
            }
        }
        Trace[] out = new Trace[layers];
        for (int l = 0; l < layers; l++) {
            Recording r = rec[l];
            out[l] = new Trace(Arrays.copyOf(r.xs, r.rows * dim), Arrays.copyOf(r.ys, r.rows * dim), r.rows, dim);
        }
        return out;
    }
}
