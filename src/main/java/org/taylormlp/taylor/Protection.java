package org.taylormlp.taylor;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.tensor.Tensor;

import java.nio.file.Path;
import java.util.function.IntConsumer;

/** The protect workflow: selection, choice of N for a target slowdown, writing, and a readable report. */
public final class Protection {
    private Protection() {}

    public static final int DEFAULT_ORDER = 16;
    public static final String DEFAULT_RULE = "radius:0.7";

    /** Fraction of the convergence radius at which {@link #autoClamp} clips |g − z0|. */
    public static final double CLAMP_RADIUS_FRACTION = 0.9;

    /**
     * The default out-of-range policy: for activations with a finite radius of convergence the runtime clips
     * t = (g − z0)/r to ±1, and since r = 0.9·R (see {@link Selection}) this means an activation input is never fed
     * to the series beyond 90 % of its radius of convergence, where the partial sums would diverge; inside that the
     * polynomial is used as is, so in-range behaviour is unchanged. GELU-erf is entire: no clipping.
     */
    public static float autoClamp(ModelConfig.Activation act) {
        return act == ModelConfig.Activation.GELU_ERF ? 0f : 1f;
    }

    /** Writer options of the default preset: F32 coefficients, z0 published, {@link #autoClamp}. */
    public static Protector.Options defaultOptions(ModelConfig.Activation act) {
        return new Protector.Options(autoClamp(act), true, org.taylormlp.tensor.DType.F32);
    }

    /**
     * What a protect run wrote.
     *
     * @param recipient      whom the release is issued to; null for an unsigned release
     * @param ownerKeyId     the id of the owner key that signed it; null for an unsigned release
     * @param neuronsPerLayer the MLP's hidden size (for the per-layer lines)
     */
    public record Result(Protector.Summary summary, Selection.Plan plan, double predictedSlowdown, String recipient, String ownerKeyId,
                         int neuronsPerLayer) {
        /** The terminal report of {@code protect}; {@code perLayer} adds one line per layer (count and truncation bound). */
        public String text(boolean perLayer) {
            Protector.Summary s = summary;
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("release:            %s (%,d bytes)%n", s.file(), s.bytes()));
            if (recipient != null) {
                sb.append(String.format("issued to:          '%s', signed by owner key %s%n", recipient, ReleaseIntegrity.abbrev(ownerKeyId)));
            }
            sb.append(String.format("selection:          %s, order N = %d, activation %s%n", plan.rule(), plan.order(), plan.activation()));
            sb.append(String.format("protected neurons:  %,d of %,d (%.1f %%)%n", s.protectedNeurons(), s.totalNeurons(),
                    100.0 * s.protectedNeurons() / s.totalNeurons()));
            sb.append(String.format("in the clear:       %.1f %% of MLP parameters, %.1f %% of all parameters%n",
                    100 * s.fractionMlpParamsInClear(), 100 * s.fractionParamsInClear()));
            sb.append(String.format("predicted slowdown: %.2fx (bytes read per token)%n", predictedSlowdown));
            if (perLayer) {
                sb.append("per layer: protected / hidden, worst truncation bound of the activation on the calibrated range\n");
                for (Selection.LayerPlan lp : plan.layers()) {
                    sb.append(String.format("  layer %2d: %5d / %5d  bound %.3g%n", lp.layer(), lp.count(), neuronsPerLayer, lp.errorBound()));
                }
            }
            return sb.toString();
        }
    }

    public static Result run(Model model, long originalBytes, CalibrationStats stats, String rule, int order, Double targetSlowdown,
                             Protector.Options opt, Path out, IntConsumer layerDone) {
        return run(model, originalBytes, stats, rule, order, targetSlowdown, opt, out, layerDone, null);
    }

    /** As above; {@code signing} (nullable) signs the release for a recipient ({@link Protector.Signing}). */
    public static Result run(Model model, long originalBytes, CalibrationStats stats, String rule, int order, Double targetSlowdown,
                             Protector.Options opt, Path out, IntConsumer layerDone, Protector.Signing signing) {
        ModelConfig c = model.config();
        if (stats.layers() != c.nLayers() || stats.neurons() != c.hiddenDim()) {
            throw new TaylorMlpException("calibration is for " + stats.layers() + " layers x " + stats.neurons()
                    + " neurons, the model has " + c.nLayers() + " x " + c.hiddenDim());
        }
        Tensor up0 = model.require(org.taylormlp.model.TensorNames.blk(0, org.taylormlp.model.TensorNames.FFN_UP));
        double bpw = (double) up0.byteSize() / up0.size();
        double thetaBytes = opt.thetaDtype() == org.taylormlp.tensor.DType.F32 ? 4 : 2;
        Selection.Plan plan;
        if (targetSlowdown != null) {
            if (!(targetSlowdown >= 1)) throw new TaylorMlpException("--target-slowdown must be >= 1, got " + targetSlowdown);
            plan = null;
            for (int n = 0; n <= 64; n++) {
                Selection.Plan p = Selection.select(rule, stats, c.activation(), n);
                if (Cost.predictedSlowdown(c, originalBytes, bpw, p.protectedNeurons(), n, thetaBytes) >= targetSlowdown) {
                    plan = p;
                    break;
                }
            }
            if (plan == null) throw new TaylorMlpException("no order N <= 64 reaches a predicted slowdown of " + targetSlowdown
                    + " with selection " + rule + "; protect more neurons");
        } else {
            plan = Selection.select(rule, stats, c.activation(), order);
        }
        double predicted = Cost.predictedSlowdown(c, originalBytes, bpw, plan.protectedNeurons(), plan.order(), thetaBytes);
        Protector.Summary s = Protector.protect(model, plan, opt, out, layerDone, signing);
        return new Result(s, plan, predicted, signing != null ? signing.recipient() : null,
                signing != null ? signing.key().keyId() : null, stats.neurons());
    }
}
