package org.taylormlp.taylor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.Version;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.keys.OwnerKey;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Writes a release: the source model with every protected MLP neuron replaced by Taylor coefficients.
 *
 * <p>For layer l with protected neurons S (|S| = m), expansion points z0_j and scales r_j, and N = order:
 * <ul>
 *   <li>{@code taylor_in.weight} [m, dim] = W_gate[S]/r (gated MLP) or W_fc1[S]/r (plain), and
 *       {@code taylor_in.bias} [m] = (b_j − z0_j)/r_j (b = 0 for gated MLPs), so t_j = (g_j − z0_j)/r_j;</li>
 *   <li>{@code taylor_up.weight} [m, dim] = W_up[S] (gated MLPs only);</li>
 *   <li>{@code taylor_theta.weight} [dim, m·(N+1)], Θ[i, j(N+1)+n] = W_down[i, S_j] · σ⁽ⁿ⁾(z0_j)/n! · r_jⁿ,
 *       computed in double and rounded once to the stored type;</li>
 *   <li>the unprotected neurons' rows/columns of gate, up (+bias) and down under their usual names.</li>
 * </ul>
 * No W_down column and no unscaled gate row of a protected neuron is written. Everything streams row by row,
 * layer by layer: memory stays at one row of Θ plus the coefficient table of one layer.
 */
public final class Protector {
    private Protector() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param clamp      if positive, the runtime clips |t| to this value (out-of-range policy "clamp"); 0 = evaluate
     *                   the polynomial as is ("polynomial")
     * @param publishZ0  store the per-neuron expansion points as {@code taylor_z0} tensors
     * @param thetaDtype F32 (default), F16 or BF16 for the coefficient matrices
     */
    public record Options(float clamp, boolean publishZ0, DType thetaDtype) {
        public static Options defaults() { return new Options(0f, true, DType.F32); }
    }

    /** What was written. */
    public record Summary(Path file, long bytes, long protectedNeurons, long totalNeurons, double fractionMlpParamsInClear,
                          double fractionParamsInClear) {}

    /**
     * Who a signed release is issued to: {@code key} signs it (Ed25519) and the metadata records {@code recipient}.
     * Null where a method takes a {@code Signing}: an unsigned release (it still carries digests).
     */
    public record Signing(OwnerKey key, String recipient) {
        public Signing {
            java.util.Objects.requireNonNull(key, "key");
            ReleaseIntegrity.checkRecipient(recipient);
        }
    }

    public static Summary protect(Model src, Selection.Plan plan, Options opt, Path out, IntConsumer layerDone) {
        return protect(src, plan, opt, out, layerDone, null);
    }

    /** Writes the release; with {@code signing}, it is signed by the owner key and records the recipient. */
    public static Summary protect(Model src, Selection.Plan plan, Options opt, Path out, IntConsumer layerDone, Signing signing) {
        ModelConfig c = src.config();
        if (src.metadata().containsKey(ReleaseFormat.MODEL_METADATA_KEY)) {
            throw new TaylorMlpException(src.source() + " is already a taylormlp release");
        }
        if (plan.layers().size() != c.nLayers()) {
            throw new TaylorMlpException("plan has " + plan.layers().size() + " layers, model has " + c.nLayers());
        }
        if (opt.thetaDtype().quantized()) throw new TaylorMlpException("coefficients must be stored as f32, f16 or bf16");
        int order = plan.order();
        boolean gated = c.gatedMlp();
        // Streaming: pages of the memory-mapped source that calibration touched are dropped here and re-read on
        // demand, layer by layer, so resident memory stays near one layer's worth instead of the whole model.
        for (Tensor t : src.tensors().values()) {
            if (t.data().isMapped()) t.data().unload();
        }
        SafetensorsWriter w = new SafetensorsWriter();
        w.putMetadata(ReleaseFormat.KEY_FORMAT, ReleaseFormat.FORMAT);
        w.putMetadata(ReleaseFormat.KEY_VERSION, Integer.toString(ReleaseFormat.VERSION));
        w.putMetadata(ReleaseFormat.KEY_TOOL, "taylormlp " + Version.VERSION);
        w.putMetadata(ReleaseFormat.KEY_CONFIG, toJson(JSON.valueToTree(c)));
        w.putMetadata(ReleaseFormat.KEY_TOKENIZER, ReleaseTokenizer.toJson(src));
        w.putMetadata(ReleaseFormat.KEY_SOURCE_SHA256, sha256(src.source()));
        w.putMetadata(ReleaseFormat.KEY_SOURCE_NAME, String.valueOf(src.source().getFileName()));
        // extra release metadata carried by the model (e.g. the recipient fingerprint record of org.taylormlp.trace.Mark)
        for (Map.Entry<String, Object> e : src.metadata().entrySet()) {
            if (e.getKey().startsWith(ReleaseFormat.EXTRA_METADATA_PREFIX)) {
                w.putMetadata(e.getKey().substring(ReleaseFormat.EXTRA_METADATA_PREFIX.length()), String.valueOf(e.getValue()));
            }
        }

        ObjectNode taylor = JSON.createObjectNode();
        taylor.put("order", order);
        taylor.put("activation", plan.activation().name());
        taylor.put("gated", gated);
        taylor.put("selection", plan.rule());
        taylor.put("out_of_range", opt.clamp() > 0 ? "clamp:" + opt.clamp() : "polynomial");
        taylor.put("z0_published", opt.publishZ0());
        taylor.put("theta_dtype", opt.thetaDtype().name());
        ArrayNode layers = taylor.putArray("layers");

        // everything but the MLP matrices, as in the source
        for (Map.Entry<String, Tensor> e : src.tensors().entrySet()) {
            if (!isMlpTensor(e.getKey())) w.addTensor(e.getKey(), e.getValue());
        }
        long totalNeurons = 0, protectedNeurons = 0;
        long mlpParams = 0, mlpClear = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            Selection.LayerPlan lp = plan.layers().get(l);
            Tensor gate = gated ? src.require(TensorNames.blk(l, TensorNames.FFN_GATE)) : null;
            Tensor up = src.require(TensorNames.blk(l, TensorNames.FFN_UP));
            Tensor down = src.require(TensorNames.blk(l, TensorNames.FFN_DOWN));
            Tensor upBias = src.optional(TensorNames.blk(l, TensorNames.FFN_UP_BIAS));
            int hidden = c.hiddenDim(), dim = c.dim(), m = lp.count();
            boolean[] isProt = new boolean[hidden];
            for (int j : lp.neurons()) {
                if (j < 0 || j >= hidden || isProt[j]) throw new TaylorMlpException("bad neuron index " + j + " in layer " + l);
                isProt[j] = true;
            }
            int[] clear = new int[hidden - m];
            for (int j = 0, k = 0; j < hidden; j++) if (!isProt[j]) clear[k++] = j;
            totalNeurons += hidden;
            protectedNeurons += m;
            long perNeuron = (long) dim * (gated ? 3 : 2) + (upBias != null ? 1 : 0);
            mlpParams += perNeuron * hidden;
            mlpClear += perNeuron * clear.length;

            DType keep = up.dtype().quantized() ? DType.F32 : up.dtype();
            if (clear.length > 0) {
                if (gate != null) w.addComputed(TensorNames.blk(l, TensorNames.FFN_GATE), keep, clear.length, dim, (r, dst) -> gate.readRow(clear[(int) r], dst));
                w.addComputed(TensorNames.blk(l, TensorNames.FFN_UP), keep, clear.length, dim, (r, dst) -> up.readRow(clear[(int) r], dst));
                if (upBias != null) {
                    float[] b = upBias.toFloats(), cb = new float[clear.length];
                    for (int k = 0; k < clear.length; k++) cb[k] = b[clear[k]];
                    w.addTensor(Tensor.ofFloats(TensorNames.blk(l, TensorNames.FFN_UP_BIAS), cb, clear.length));
                }
                float[] downRow = new float[hidden];
                w.addComputed(TensorNames.blk(l, TensorNames.FFN_DOWN), keep, dim, clear.length, (r, dst) -> {
                    down.readRow((int) r, downRow);
                    for (int k = 0; k < clear.length; k++) dst[k] = downRow[clear[k]];
                });
            }
            if (m > 0) {
                int[] s = lp.neurons();
                double[] z0 = lp.z0(), scale = lp.scale();
                float[] inBias = new float[m];
                float[] b = upBias == null ? null : upBias.toFloats();
                double[][] coef = new double[m][];
                for (int i = 0; i < m; i++) {
                    double bias = b == null ? 0 : b[s[i]];
                    inBias[i] = (float) ((bias - z0[i]) / scale[i]);
                    double[] a = ActivationSeries.coefficients(plan.activation(), z0[i], order);
                    double rn = 1;
                    for (int n = 0; n <= order; n++) {
                        a[n] *= rn;
                        rn *= scale[i];
                    }
                    coef[i] = a;
                }
                Tensor inSrc = gated ? gate : up;
                w.addComputed(ReleaseFormat.taylorIn(l), DType.F32, m, dim, (r, dst) -> {
                    inSrc.readRow(s[(int) r], dst);
                    double inv = 1.0 / scale[(int) r];
                    for (int k = 0; k < dst.length; k++) dst[k] = (float) (dst[k] * inv);
                });
                w.addTensor(Tensor.ofFloats(ReleaseFormat.taylorInBias(l), inBias, m));
                if (gated) w.addComputed(ReleaseFormat.taylorUp(l), keep, m, dim, (r, dst) -> up.readRow(s[(int) r], dst));
                float[] downRow = new float[hidden];
                final int layerIdx = l;
                w.addComputed(ReleaseFormat.taylorTheta(l), opt.thetaDtype(), dim, (long) m * (order + 1), (r, dst) -> {
                    down.readRow((int) r, downRow);
                    for (int i = 0; i < m; i++) {
                        double wd = downRow[s[i]];
                        double[] a = coef[i];
                        int o = i * (order + 1);
                        for (int n = 0; n <= order; n++) dst[o + n] = (float) (wd * a[n]);
                    }
                    if (r == dim - 1) {
                        // the layer's source MLP matrices are done: let their mapped pages go (streaming protect)
                        for (Tensor used : new Tensor[]{gate, up, down}) {
                            if (used != null && used.data().isMapped()) used.data().unload();
                        }
                        if (layerDone != null) layerDone.accept(layerIdx);
                    }
                });
                if (opt.publishZ0()) {
                    float[] zf = new float[m];
                    for (int i = 0; i < m; i++) zf[i] = (float) z0[i];
                    w.addTensor(Tensor.ofFloats(ReleaseFormat.taylorZ0(l), zf, m));
                }
            }
            Tensor downBias = src.optional(TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS));
            if (downBias != null) w.addTensor(TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS), downBias);
            ObjectNode lj = layers.addObject();
            lj.put("layer", l);
            lj.put("hidden", hidden);
            lj.put("protected", m);
            lj.put("error_bound", Double.isFinite(lp.errorBound()) ? lp.errorBound() : Double.MAX_VALUE);
        }
        double fracMlpClear = mlpParams == 0 ? 1 : (double) mlpClear / mlpParams;
        long allParams = src.parameterCount();
        double fracAllClear = (double) (allParams - (mlpParams - mlpClear)) / allParams;
        taylor.put("protected_neurons", protectedNeurons);
        taylor.put("total_neurons", totalNeurons);
        taylor.put("fraction_mlp_params_in_clear", fracMlpClear);
        taylor.put("fraction_params_in_clear", fracAllClear);
        w.putMetadata(ReleaseFormat.KEY_TAYLOR, toJson(taylor));
        ReleaseIntegrity.prepare(w, signing == null ? null : signing.key(), signing == null ? null : signing.recipient());
        try {
            Files.createDirectories(out.toAbsolutePath().getParent());
            w.write(out);
            return new Summary(out, Files.size(out), protectedNeurons, totalNeurons, fracMlpClear, fracAllClear);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write release " + out + ": " + e.getMessage(), e);
        }
    }

    /** True for the MLP tensors of a block (gate, up, down and their biases): what a release replaces or keeps in clear. */
    public static boolean isMlpTensor(String name) {
        if (!name.startsWith("blk.")) return false;
        String suffix = name.substring(name.indexOf('.', 4) + 1);
        return suffix.equals(TensorNames.FFN_GATE) || suffix.equals(TensorNames.FFN_UP) || suffix.equals(TensorNames.FFN_DOWN)
                || suffix.equals(TensorNames.FFN_UP_BIAS) || suffix.equals(TensorNames.FFN_DOWN_BIAS);
    }

    private static String toJson(Object node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot serialise release metadata: " + e.getMessage(), e);
        }
    }

    /** SHA-256 of the source file, or of a folder's files in name order. */
    static String sha256(Path source) {
        try {
            return org.taylormlp.Digests.sha256Hex(source);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot hash " + source + ": " + e.getMessage(), e);
        }
    }
}
