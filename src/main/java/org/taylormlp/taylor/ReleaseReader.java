package org.taylormlp.taylor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.model.TensorNames;
import org.taylormlp.nn.DenseFeedForward;
import org.taylormlp.nn.FeedForward;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Opens release files (passed to {@link ModelLoader} by org.taylormlp.runtime.Models) and builds their {@link TaylorFeedForward} blocks.
 * Every tensor is checked against the configuration and the Taylor metadata before anything runs, then against
 * the digests (and signature) recorded in the release under {@link ReleaseIntegrity#policy()}.
 */
public final class ReleaseReader implements ModelLoader.ReleaseOpener {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the runtime needs to know about a release, parsed from its {@code taylor} metadata. */
    public record Info(int order, ModelConfig.Activation activation, boolean gated, String selection, float clamp,
                       boolean z0Published, int[] protectedPerLayer, double[] errorBounds, double fractionMlpParamsInClear,
                       double fractionParamsInClear, String sourceSha256, String toolVersion, int formatVersion) {}

    @Override
    public boolean isRelease(SafetensorsFile file) {
        return ReleaseFormat.FORMAT.equals(file.metadata().get(ReleaseFormat.KEY_FORMAT));
    }

    @Override
    public Model open(SafetensorsFile file) {
        Path p = file.path();
        try {
            Map<String, String> md = file.metadata();
            String version = md.get(ReleaseFormat.KEY_VERSION);
            if (!String.valueOf(ReleaseFormat.VERSION).equals(version)) {
                throw new ModelFormatException(p, "unsupported release format version " + version + " (this tool reads "
                        + ReleaseFormat.VERSION + ")");
            }
            ModelConfig cfg = parseConfig(p, require(p, md, ReleaseFormat.KEY_CONFIG));
            Info info = parseInfo(p, require(p, md, ReleaseFormat.KEY_TAYLOR), cfg, md);
            Tokenizer tok = ReleaseTokenizer.fromJson(require(p, md, ReleaseFormat.KEY_TOKENIZER), p, cfg.vocabSize());
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (Tensor t : file.tensors()) tensors.put(t.name(), t);
            validate(p, cfg, info, tensors);
            ReleaseIntegrity.Report integrity = ReleaseIntegrity.verify(file, ReleaseIntegrity.policy());
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put(ReleaseFormat.MODEL_METADATA_KEY, info);
            meta.put(ReleaseIntegrity.MODEL_METADATA_KEY, integrity);
            return new Model(p, "release", cfg, tensors, tok, meta,
                    List.of(file, tok instanceof AutoCloseable ac ? ac : () -> {}));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static String require(Path p, Map<String, String> md, String key) {
        String v = md.get(key);
        if (v == null) throw new ModelFormatException(p, "release metadata lacks '" + key + "'");
        return v;
    }

    static ModelConfig parseConfig(Path p, String json) {
        try {
            ModelConfig c = JSON.readValue(json, ModelConfig.class);
            if (c.architecture() == null || c.normType() == null || c.ropeStyle() == null || c.activation() == null) {
                throw new ModelFormatException(p, "release config lacks architecture, norm, rope or activation");
            }
            String problem = c.problem();
            if (problem != null) throw new ModelFormatException(p, "release config: " + problem);
            return c;
        } catch (IOException e) {
            throw new ModelFormatException(p, "release config is not valid: " + e.getMessage());
        }
    }

    static Info parseInfo(Path p, String json, ModelConfig cfg, Map<String, String> md) {
        JsonNode t;
        try {
            t = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelFormatException(p, "release taylor metadata is not valid JSON: " + e.getMessage());
        }
        int order = t.path("order").asInt(-1);
        if (order < 0 || order > 64) throw new ModelFormatException(p, "release order N = " + t.path("order") + " out of range 0..64");
        ModelConfig.Activation act;
        try {
            act = ModelConfig.Activation.valueOf(t.path("activation").asText(""));
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(p, "release has unknown activation '" + t.path("activation").asText() + "'");
        }
        if (act != cfg.activation()) throw new ModelFormatException(p, "release activation " + act + " differs from config " + cfg.activation());
        boolean gated = t.path("gated").asBoolean(cfg.gatedMlp());
        if (gated != cfg.gatedMlp()) throw new ModelFormatException(p, "release 'gated' disagrees with the config");
        String oor = t.path("out_of_range").asText("polynomial");
        float clamp = 0f;
        if (oor.startsWith("clamp:")) {
            try {
                clamp = Float.parseFloat(oor.substring(6));
            } catch (NumberFormatException e) {
                throw new ModelFormatException(p, "bad out_of_range policy '" + oor + "'");
            }
            if (!(clamp > 0)) throw new ModelFormatException(p, "bad out_of_range policy '" + oor + "'");
        } else if (!oor.equals("polynomial")) {
            throw new ModelFormatException(p, "unknown out_of_range policy '" + oor + "'");
        }
        JsonNode layers = t.path("layers");
        if (!layers.isArray() || layers.size() != cfg.nLayers()) {
            throw new ModelFormatException(p, "release lists " + layers.size() + " layers, config has " + cfg.nLayers());
        }
        int[] prot = new int[cfg.nLayers()];
        double[] bounds = new double[cfg.nLayers()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            JsonNode lj = layers.get(l);
            prot[l] = lj.path("protected").asInt(-1);
            if (prot[l] < 0 || prot[l] > cfg.hiddenDim()) throw new ModelFormatException(p, "layer " + l + ": bad protected count " + lj.path("protected"));
            bounds[l] = lj.path("error_bound").asDouble(Double.NaN);
        }
        return new Info(order, act, gated, t.path("selection").asText(""), clamp, t.path("z0_published").asBoolean(false),
                prot, bounds, t.path("fraction_mlp_params_in_clear").asDouble(Double.NaN),
                t.path("fraction_params_in_clear").asDouble(Double.NaN), md.get(ReleaseFormat.KEY_SOURCE_SHA256),
                md.get(ReleaseFormat.KEY_TOOL), ReleaseFormat.VERSION);
    }

    private static void validate(Path p, ModelConfig c, Info info, Map<String, Tensor> t) {
        int dim = c.dim(), hidden = c.hiddenDim();
        for (int l = 0; l < c.nLayers(); l++) {
            int m = info.protectedPerLayer()[l], f = hidden - m;
            if (f > 0) {
                if (c.gatedMlp()) shape(p, t, TensorNames.blk(l, TensorNames.FFN_GATE), f, dim);
                shape(p, t, TensorNames.blk(l, TensorNames.FFN_UP), f, dim);
                shape(p, t, TensorNames.blk(l, TensorNames.FFN_DOWN), dim, f);
                if (c.mlpBias()) shape(p, t, TensorNames.blk(l, TensorNames.FFN_UP_BIAS), f);
            } else {
                for (String s : List.of(TensorNames.FFN_GATE, TensorNames.FFN_UP, TensorNames.FFN_DOWN)) {
                    if (t.containsKey(TensorNames.blk(l, s))) throw new ModelFormatException(p, "layer " + l
                            + " protects every neuron but still has tensor " + TensorNames.blk(l, s));
                }
            }
            if (m > 0) {
                shape(p, t, ReleaseFormat.taylorIn(l), m, dim);
                shape(p, t, ReleaseFormat.taylorInBias(l), m);
                if (c.gatedMlp()) shape(p, t, ReleaseFormat.taylorUp(l), m, dim);
                shape(p, t, ReleaseFormat.taylorTheta(l), dim, (long) m * (info.order() + 1));
                if (info.z0Published()) shape(p, t, ReleaseFormat.taylorZ0(l), m);
            } else if (t.containsKey(ReleaseFormat.taylorTheta(l))) {
                throw new ModelFormatException(p, "layer " + l + " protects no neuron but has " + ReleaseFormat.taylorTheta(l));
            }
            if (c.mlpBias()) shape(p, t, TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS), dim);
        }
    }

    private static void shape(Path p, Map<String, Tensor> t, String name, long... expected) {
        Tensor x = t.get(name);
        if (x == null) throw new ModelFormatException(p, "release is missing tensor '" + name + "'");
        if (!Arrays.equals(x.shape(), expected)) {
            throw new ModelFormatException(p, "release tensor '" + name + "' has shape " + Arrays.toString(x.shape())
                    + ", expected " + Arrays.toString(expected));
        }
    }

    /** The release's metadata, or null if {@code m} is not a release. */
    public static Info info(Model m) {
        return m.metadata().get(ReleaseFormat.MODEL_METADATA_KEY) instanceof Info i ? i : null;
    }

    /** Per-layer Taylor feed-forward blocks of a release; null for ordinary models. */
    public static IntFunction<FeedForward> feedForwards(Model m, Kernels k) {
        Info info = info(m);
        if (info == null) return null;
        ModelConfig c = m.config();
        return l -> {
            int mProt = info.protectedPerLayer()[l];
            FeedForward clear = null;
            if (mProt < c.hiddenDim()) {
                clear = new DenseFeedForward(c.gatedMlp() ? m.require(TensorNames.blk(l, TensorNames.FFN_GATE)) : null,
                        m.require(TensorNames.blk(l, TensorNames.FFN_UP)), floats(m, TensorNames.blk(l, TensorNames.FFN_UP_BIAS)),
                        m.require(TensorNames.blk(l, TensorNames.FFN_DOWN)), null, c.activation(), k);
            }
            float[] outBias = floats(m, TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS));
            if (mProt == 0) {
                FeedForward cl = clear;
                return outBias == null ? cl : new TaylorFeedForward.BiasOnly(cl, outBias, c.dim());
            }
            return new TaylorFeedForward(clear, m.require(ReleaseFormat.taylorIn(l)),
                    m.require(ReleaseFormat.taylorInBias(l)).toFloats(),
                    c.gatedMlp() ? m.require(ReleaseFormat.taylorUp(l)) : null, m.require(ReleaseFormat.taylorTheta(l)),
                    outBias, info.order(), info.clamp(), k);
        };
    }

    private static float[] floats(Model m, String name) {
        Tensor t = m.optional(name);
        return t == null ? null : t.toFloats();
    }
}
