package org.taylormlp.nn;

/**
 * The feed-forward seam of a transformer block. The engine's ordinary MLP ({@link DenseFeedForward}) and the
 * Taylor-series MLP of a release ({@code org.taylormlp.taylor.TaylorFeedForward}) both implement it.
 * Instances hold scratch buffers: one instance serves one forward pass at a time.
 */
public interface FeedForward {
    /** out[b·dim ..] = FFN(x[b·dim ..]) for b in [0, batch); x is the normalized hidden state. */
    void forward(float[] x, float[] out, int batch);

    /** Bytes of weights this block reads per token (for the bandwidth bound and the predicted slowdown). */
    long weightBytes();

    /** Observer of activation inputs (gate pre-activations, or fc1 outputs incl. bias); null disables. */
    default void setProbe(ActivationProbe probe) {}

    /** Receives, per token, the hidden-size vector of activation inputs of one layer. */
    @FunctionalInterface
    interface ActivationProbe {
        void accept(float[] pre, int offset, int length);
    }
}
