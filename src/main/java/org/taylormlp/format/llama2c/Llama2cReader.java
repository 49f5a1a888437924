package org.taylormlp.format.llama2c;

import org.taylormlp.format.MappedFile;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads llama2.c checkpoints (legacy "version 0" format of the stories models): 7 little-endian int32
 * (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; negative vocab_size = separate
 * classifier), then float32 weights in the order token_embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2,
 * w3, rms_final, freq_cis_real, freq_cis_imag[, wcls]. Tensors are views into the mapped file.
 *
 * <p>The file must end exactly after the last tensor: a llama2.c checkpoint has no magic and no tensor table, so
 * its size is the only check that the header matches the weights. Bytes beyond the last tensor (appended garbage,
 * a damaged header, a flipped vocab_size sign) are refused with a {@link ModelFormatException}, as is a file too
 * short for the header's shapes.
 */
public final class Llama2cReader {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final int HEADER_BYTES = 28;

    private Llama2cReader() {}

    /** The seven header fields; {@code sharedClassifier} is a positive vocab_size (classifier tied to the embeddings). */
    public record Header(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen, boolean sharedClassifier) {
        public int headSize() { return dim / heads; }
    }

    /**
     * The header and the weights under the file's own names, per-layer weights stacked along a first dimension of
     * {@code layers}: token_embedding_table, rms_att_weight, wq, wk, wv, wo, rms_ffn_weight, w1, w2, w3,
     * rms_final_weight and, when not shared, wcls. The model layer maps them to the engine's names.
     */
    public record Result(Header header, Map<String, Tensor> tensors) {}

    public static Result read(MappedFile file) {
        Path p = file.path();
        MemorySegment seg = file.segment();
        if (seg.byteSize() < HEADER_BYTES) {
            throw new ModelFormatException(p, "truncated llama2.c header (" + seg.byteSize() + " bytes, need 28)");
        }
        int dim = seg.get(I32, 0), hidden = seg.get(I32, 4), layers = seg.get(I32, 8), heads = seg.get(I32, 12),
                kvHeads = seg.get(I32, 16), vocabRaw = seg.get(I32, 20), seqLen = seg.get(I32, 24);
        boolean shared = vocabRaw > 0;
        long vocab = Math.abs((long) vocabRaw);
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab == 0 || seqLen <= 0
                || dim > 65536 || hidden > 1 << 20 || layers > 1024 || heads > dim || kvHeads > heads
                || vocab > 1 << 22 || seqLen > 1 << 22 || dim % heads != 0 || heads % kvHeads != 0) {
            throw new ModelFormatException(p, "not a llama2.c checkpoint: implausible header dim=" + dim + " hidden="
                    + hidden + " layers=" + layers + " heads=" + heads + " kv_heads=" + kvHeads + " vocab=" + vocabRaw
                    + " seq_len=" + seqLen);
        }
        int headSize = dim / heads;
        long kvDim = (long) kvHeads * headSize;
        Map<String, Tensor> t = new LinkedHashMap<>();
        long[] cursor = {HEADER_BYTES};
        t.put("token_embedding_table", take(p, seg, cursor, "token_embedding_table", vocab, dim));
        t.put("rms_att_weight", take(p, seg, cursor, "rms_att_weight", layers, dim));
        t.put("wq", take(p, seg, cursor, "wq", layers, dim, dim));
        t.put("wk", take(p, seg, cursor, "wk", layers, kvDim, dim));
        t.put("wv", take(p, seg, cursor, "wv", layers, kvDim, dim));
        t.put("wo", take(p, seg, cursor, "wo", layers, dim, dim));
        t.put("rms_ffn_weight", take(p, seg, cursor, "rms_ffn_weight", layers, dim));
        t.put("w1", take(p, seg, cursor, "w1", layers, hidden, dim));
        t.put("w2", take(p, seg, cursor, "w2", layers, dim, hidden));
        t.put("w3", take(p, seg, cursor, "w3", layers, hidden, dim));
        t.put("rms_final_weight", take(p, seg, cursor, "rms_final_weight", dim));
        take(p, seg, cursor, "freq_cis_real", seqLen, headSize / 2);
        take(p, seg, cursor, "freq_cis_imag", seqLen, headSize / 2);
        if (!shared) t.put("wcls", take(p, seg, cursor, "wcls", vocab, dim));
        long trailing = seg.byteSize() - cursor[0];
        if (trailing > 0) {
            // No magic and no tensor table: the exact file size is the only evidence that the header describes the data.
            String hint = shared && trailing == vocab * dim * 4L
                    ? "; that is exactly one more vocab x dim matrix: the sign of vocab_size (shared classifier) is likely flipped"
                    : "; data appended to the file, or a header that does not match the weights";
            throw new ModelFormatException(p, trailing + " bytes after the last tensor (the header describes " + cursor[0]
                    + " bytes, the file has " + seg.byteSize() + ")" + hint);
        }
        return new Result(new Header(dim, hidden, layers, heads, kvHeads, (int) vocab, seqLen, shared), t);
    }

    private static Tensor take(Path p, MemorySegment seg, long[] cursor, String name, long... shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        long bytes = Math.multiplyExact(n, 4L);
        if (cursor[0] + bytes > seg.byteSize()) {
            throw new ModelFormatException(p, "truncated llama2.c checkpoint: tensor " + name + " needs bytes "
                    + cursor[0] + ".." + (cursor[0] + bytes) + " but the file has " + seg.byteSize());
        }
        Tensor t = new Tensor(name, DType.F32, shape, seg.asSlice(cursor[0], bytes));
        cursor[0] += bytes;
        return t;
    }
}
