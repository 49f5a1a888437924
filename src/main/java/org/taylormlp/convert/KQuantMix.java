package org.taylormlp.convert;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

/**
 * The per-tensor types of llama.cpp's K-quant mixes, for {@code convert --dtype q4_k_m | q5_k_m | q6_k}
 * (llama_tensor_get_type in llama-quant.cpp, for the dense architectures taylormlp runs):
 * <ul>
 *   <li>the output matrix (or the token embeddings when they are tied to it): Q6_K;</li>
 *   <li>Q4_K_M and Q5_K_M: {@code attn_v} and {@code ffn_down} of the first and last eighth of the layers and of
 *       every third layer in between ({@code use_more_bits}): Q6_K;</li>
 *   <li>every other matrix: the mix's base type (Q4_K, Q5_K, Q6_K);</li>
 *   <li>rows that are not whole 256-element super-blocks fall back as llama.cpp does: Q4_K to Q5_0, Q5_K to Q5_1,
 *       Q6_K to Q8_0 (and to F32 here when not even 32-element blocks fit, where llama.cpp uses F16).</li>
 * </ul>
 * The blocks themselves come from {@link org.taylormlp.tensor.KQuantizer}, a simpler quantizer than llama.cpp's
 * (so the bytes differ from llama-quantize's), in the exact ggml layout.
 */
public final class KQuantMix {
    private KQuantMix() {}

    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");

    /** The base type of a mix name ("q4_k_m", "q5_k_m", "q6_k"), or null when {@code name} is not a mix. */
    public static DType base(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "q4_k_m", "q4_k" -> DType.Q4_K;
            case "q5_k_m", "q5_k" -> DType.Q5_K;
            case "q6_k" -> DType.Q6_K;
            default -> null;
        };
    }

    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    /** The type tensor {@code name} gets in the mix of {@code base} (a matrix; 1-D tensors stay F32 elsewhere). */
    public static DType typeFor(DType base, String name, Tensor t, int layers, boolean hasOutput) {
        DType want = base;
        Matcher m = LAYER.matcher(name);
        if (name.equals(TensorNames.OUTPUT) || (!hasOutput && name.equals(TensorNames.TOKEN_EMBD))) {
            want = DType.Q6_K;
        } else if (base != DType.Q6_K && m.find()
                && (name.endsWith("." + TensorNames.ATTN_V) || name.endsWith("." + TensorNames.FFN_DOWN))
                && useMoreBits(Integer.parseInt(m.group(1)), layers)) {
            want = DType.Q6_K;
        }
        if (t.cols() % want.blockSize() != 0) {
            want = switch (want) {
                case Q4_K -> DType.Q5_0;
                case Q5_K -> DType.Q5_1;
                default -> DType.Q8_0;
            };
        }
        return want;
    }
}
