package org.taylormlp.nn;

import org.taylormlp.model.ModelConfig;

/** RMSNorm or LayerNorm with its weights (and bias for LayerNorm). */
public record Norm(ModelConfig.NormType type, float[] weight, float[] bias, float eps) {
    public void apply(float[] out, int oOff, float[] x, int xOff) {
        if (type == ModelConfig.NormType.RMS) org.taylormlp.tensor.ScalarOps.rmsnorm(out, oOff, x, xOff, weight, weight.length, eps);
        else Ops.layernorm(out, oOff, x, xOff, weight, bias, weight.length, eps);
    }
}
