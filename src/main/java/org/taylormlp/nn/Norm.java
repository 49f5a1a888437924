package org.taylormlp.nn;

import org.taylormlp.model.ModelConfig;
import org.taylormlp.tensor.Kernels;

/** RMSNorm or LayerNorm with its weights (and bias for LayerNorm). */
public record Norm(ModelConfig.NormType type, float[] weight, float[] bias, float eps) {
    public void apply(Kernels k, float[] out, int oOff, float[] x, int xOff) {
        if (type == ModelConfig.NormType.RMS) k.rmsnorm(out, oOff, x, xOff, weight, weight.length, eps);
        else k.layernorm(out, oOff, x, xOff, weight, bias, weight.length, eps);
    }
}
