package org.taylormlp.format.llama2c;

import org.taylormlp.format.MappedFile;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.model.Architecture;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
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
 */
public final class Llama2cReader {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final int HEADER_BYTES = 28;

    private Llama2cReader() {}

    public record Result(ModelConfig config, Map<String, Tensor> tensors) {}

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
        long off = HEADER_BYTES;
        Map<String, Tensor> t = new LinkedHashMap<>();
        long[] cursor = {off};
        Tensor embd = take(p, seg, cursor, TensorNames.TOKEN_EMBD, vocab, dim);
        t.put(TensorNames.TOKEN_EMBD, embd);
        Tensor rmsAtt = take(p, seg, cursor, "rms_att", layers, dim);
        Tensor wq = take(p, seg, cursor, "wq", layers, dim, dim);
        Tensor wk = take(p, seg, cursor, "wk", layers, kvDim, dim);
        Tensor wv = take(p, seg, cursor, "wv", layers, kvDim, dim);
        Tensor wo = take(p, seg, cursor, "wo", layers, dim, dim);
        Tensor rmsFfn = take(p, seg, cursor, "rms_ffn", layers, dim);
        Tensor w1 = take(p, seg, cursor, "w1", layers, hidden, dim);
        Tensor w2 = take(p, seg, cursor, "w2", layers, dim, hidden);
        Tensor w3 = take(p, seg, cursor, "w3", layers, hidden, dim);
        Tensor rmsFinal = take(p, seg, cursor, TensorNames.OUTPUT_NORM, dim);
        take(p, seg, cursor, "freq_cis_real", seqLen, headSize / 2);
        take(p, seg, cursor, "freq_cis_imag", seqLen, headSize / 2);
        for (int l = 0; l < layers; l++) {
            t.put(TensorNames.blk(l, TensorNames.ATTN_NORM), slice(rmsAtt, l));
            t.put(TensorNames.blk(l, TensorNames.ATTN_Q), slice(wq, l));
            t.put(TensorNames.blk(l, TensorNames.ATTN_K), slice(wk, l));
            t.put(TensorNames.blk(l, TensorNames.ATTN_V), slice(wv, l));
            t.put(TensorNames.blk(l, TensorNames.ATTN_OUT), slice(wo, l));
            t.put(TensorNames.blk(l, TensorNames.FFN_NORM), slice(rmsFfn, l));
            t.put(TensorNames.blk(l, TensorNames.FFN_GATE), slice(w1, l));
            t.put(TensorNames.blk(l, TensorNames.FFN_DOWN), slice(w2, l));
            t.put(TensorNames.blk(l, TensorNames.FFN_UP), slice(w3, l));
        }
        t.put(TensorNames.OUTPUT_NORM, rmsFinal);
        if (!shared) {
            t.put(TensorNames.OUTPUT, take(p, seg, cursor, TensorNames.OUTPUT, vocab, dim));
        }
        ModelConfig cfg = new ModelConfig(Architecture.LLAMA, dim, hidden, layers, heads, kvHeads, headSize,
                (int) vocab, seqLen, 1e-5f, ModelConfig.NormType.RMS, 10000.0, ModelConfig.RopeStyle.ADJACENT,
                headSize, null, 0, false, true, ModelConfig.Activation.SILU, false, false, false, false, shared, 1, 2);
        return new Result(cfg, t);
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

    /** Layer {@code l} of a stacked [layers, ...] tensor. */
    private static Tensor slice(Tensor stacked, int l) {
        long[] s = stacked.shape();
        long[] inner = java.util.Arrays.copyOfRange(s, 1, s.length);
        long per = stacked.byteSize() / s[0];
        return new Tensor(stacked.name() + "." + l, DType.F32, inner, stacked.data().asSlice(l * per, per));
    }
}
