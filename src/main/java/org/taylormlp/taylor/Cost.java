package org.taylormlp.taylor;

import org.taylormlp.model.ModelConfig;

/**
 * Predicted cost of a release relative to its original, from bytes of weights read per generated token (decode
 * is memory-bound: time ∝ bytes). Protected neuron j costs (gated) 2·dim input weights + dim·(N+1) coefficients
 * instead of 3·dim original weights.
 */
public final class Cost {
    private Cost() {}

    /**
     * @param originalBytes bytes the original reads per token (all matrices + head)
     * @param bytesPerWeight bytes per original MLP weight (4 for F32, 2 for BF16...)
     * @param protectedNeurons neurons protected over all layers
     * @param thetaBytes bytes per stored coefficient
     */
    public static double predictedSlowdown(ModelConfig c, long originalBytes, double bytesPerWeight, long protectedNeurons,
                                           int order, double thetaBytes) {
        double perNeuronOriginal = (c.gatedMlp() ? 3 : 2) * (double) c.dim() * bytesPerWeight;
        double perNeuronRelease = (c.gatedMlp() ? (4.0 + bytesPerWeight) : 4.0) * c.dim() + c.dim() * (order + 1.0) * thetaBytes;
        double release = originalBytes + protectedNeurons * (perNeuronRelease - perNeuronOriginal);
        return release / originalBytes;
    }
}
