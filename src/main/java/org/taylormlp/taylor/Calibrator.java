package org.taylormlp.taylor;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.nn.Transformer;

import java.util.List;
import java.util.function.LongConsumer;

/**
 * Streams token sequences through a model and records the activation inputs of every MLP neuron
 * ({@link CalibrationStats}). Sequences longer than the window are cut into windows, each starting at position 0.
 */
public final class Calibrator {
    private Calibrator() {}

    /**
     * @param sequences token sequences (each should start with BOS)
     * @param maxTokens stop after this many tokens in total (0 = no limit)
     * @param window    tokens per forward window (≤ the transformer's context)
     * @param progress  receives the number of tokens processed so far (may be null)
     */
    public static CalibrationStats calibrate(Transformer t, List<int[]> sequences, long maxTokens, int window,
                                             LongConsumer progress) {
        int layers = t.config().nLayers(), hidden = t.config().hiddenDim();
        int w = Math.max(2, Math.min(window, t.maxContext()));
        CalibrationStats stats = new CalibrationStats(layers, hidden, 512);
        for (int l = 0; l < layers; l++) {
            final int layer = l;
            FeedForward f = t.feedForward(l);
            f.setProbe((values, off, len) -> {
                if (len != hidden) throw new IllegalStateException("probe length " + len + " != hidden " + hidden);
                stats.accept(layer, values, off);
            });
        }
        long done = 0;
        try {
            outer:
            for (int[] seq : sequences) {
                for (int start = 0; start < seq.length; start += w) {
                    int n = Math.min(w, seq.length - start);
                    if (maxTokens > 0) n = (int) Math.min(n, maxTokens - done);
                    if (n <= 0) break outer;
                    t.forward(seq, start, n, 0);
                    done += n;
                    if (progress != null) progress.accept(done);
                    if (maxTokens > 0 && done >= maxTokens) break outer;
                }
            }
        } finally {
            for (int l = 0; l < layers; l++) t.feedForward(l).setProbe(null);
        }
        if (done == 0) throw new TaylorMlpException("calibration text produced no tokens");
        stats.finish();
        return stats;
    }
}
