package org.taylormlp.nn;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.Kernels;
import org.taylormlp.tensor.Parallel;
import org.taylormlp.tensor.Tensor;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * The one forward pass for every supported family: embedding → blocks (norm, attention with GQA, RoPE,
 * optional biases and sliding window, a pluggable {@link FeedForward}; sequential or parallel residual) →
 * final norm → output head. Holds the KV cache and scratch buffers: one instance serves one sequence at a
 * time (not thread-safe). Prompts are processed in batches of up to {@link #maxBatch()} tokens with matmul.
 */
public final class Transformer {
    private final ModelConfig cfg;
    private final Kernels kernels;
    private final int maxContext;
    private final int maxBatch;
    private final Tensor tokenEmbd, output;
    private final float[] outputBias;
    private final Norm outputNorm;
    private final Block[] blocks;
    private final Rope rope;
    /**
     * Per layer, head-major: kv head h's key (value) at position p at {@code (h · maxContext + p) · headDim}, so that
     * a head's attention reads one sequential stream (the decode step reads the cache from memory after each layer's
     * weights have passed through the caches).
     */
    private final float[][] keyCache, valueCache;

    // scratch, sized [maxBatch × ...]
    private final float[] x, xb, attnOut, proj, ffnOut, q, k, v, logitsBuf;
    /** Attention scores, one buffer per head (heads may run on different threads). */
    private final float[][] att;
    /** The all-logits batch buffer, allocated on first use. */
    private float[] logitsTmp = new float[0];
    private final int[] one = new int[1];

    /**
     * Attention work (heads × rows × positions × head size) from which it is split over the kernels' threads
     * ({@code -Dtaylormlp.attnParallelMin}): a 7-8B model from ~64 positions on; never stories15M-sized models,
     * whose whole attention (~10 µs a layer) is not worth a fork-join that a loaded machine can stretch to ms.
     */
    private static final long ATTN_PARALLEL_MIN = Long.getLong("taylormlp.attnParallelMin", 1L << 18);
    private int attnLayer, attnBatch, attnPos;
    private final Parallel.RangeBody attnJob = this::attendHeads;

    private record Block(Norm attnNorm, Norm ffnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                         float[] bq, float[] bk, float[] bv, float[] bo, FeedForward ffn) {}

    /**
     * Tokens per prompt batch when none is given ({@code -Dtaylormlp.batch}, default 128): the batched products
     * unpack each weight panel once per batch, so longer batches amortize it better, at the cost of scratch buffers
     * of batch × width floats (llama.cpp's default micro-batch is 512).
     */
    public static final int DEFAULT_BATCH = Math.max(1, Integer.getInteger("taylormlp.batch", 128));

    /** Builds the engine with the model's own dense feed-forward blocks. */
    public Transformer(Model model, Kernels kernels, int maxContext) {
        this(model, kernels, maxContext, DEFAULT_BATCH, null);
    }

    /**
     * @param ffnFactory feed-forward block per layer; null = {@link #denseFeedForward} from the model's tensors
     */
    public Transformer(Model model, Kernels kernels, int maxContext, int maxBatch, IntFunction<FeedForward> ffnFactory) {
        this.cfg = model.config();
        String problem = cfg.problem();
        if (problem != null) throw new TaylorMlpException(model.source() + ": " + problem);
        this.kernels = kernels;
        this.maxContext = Math.max(1, Math.min(maxContext, cfg.contextLength()));
        this.maxBatch = Math.max(1, maxBatch);
        this.tokenEmbd = kernels.prepare(model.require(TensorNames.TOKEN_EMBD));
        this.output = cfg.tiedEmbeddings() || model.optional(TensorNames.OUTPUT) == null ? tokenEmbd
                : kernels.prepare(model.require(TensorNames.OUTPUT));
        this.outputBias = floats(model, TensorNames.OUTPUT_BIAS);
        this.outputNorm = new Norm(cfg.normType(), model.require(TensorNames.OUTPUT_NORM).toFloats(),
                floats(model, TensorNames.OUTPUT_NORM_BIAS), cfg.normEps());
        checkShape(model, tokenEmbd, cfg.vocabSize(), cfg.dim());
        checkShape(model, output, cfg.vocabSize(), cfg.dim());
        Tensor ropeFreqs = model.optional("rope_freqs.weight");
        this.rope = new Rope(cfg, ropeFreqs == null ? null : ropeFreqs.toFloats());
        this.blocks = new Block[cfg.nLayers()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            final int layer = l;
            IntFunction<FeedForward> f = ffnFactory != null ? ffnFactory : i -> denseFeedForward(model, i, kernels);
            Norm an = new Norm(cfg.normType(), model.require(TensorNames.blk(l, TensorNames.ATTN_NORM)).toFloats(),
                    floats(model, TensorNames.blk(l, TensorNames.ATTN_NORM_BIAS)), cfg.normEps());
            Norm fn = cfg.parallelResidual() ? null
                    : new Norm(cfg.normType(), model.require(TensorNames.blk(l, TensorNames.FFN_NORM)).toFloats(),
                    floats(model, TensorNames.blk(l, "ffn_norm.bias")), cfg.normEps());
            Tensor wq = kernels.prepare(model.require(TensorNames.blk(l, TensorNames.ATTN_Q)));
            Tensor wk = kernels.prepare(model.require(TensorNames.blk(l, TensorNames.ATTN_K)));
            Tensor wv = kernels.prepare(model.require(TensorNames.blk(l, TensorNames.ATTN_V)));
            Tensor wo = kernels.prepare(model.require(TensorNames.blk(l, TensorNames.ATTN_OUT)));
            checkShape(model, wq, cfg.qDim(), cfg.dim());
            checkShape(model, wk, cfg.kvDim(), cfg.dim());
            checkShape(model, wv, cfg.kvDim(), cfg.dim());
            checkShape(model, wo, cfg.dim(), cfg.qDim());
            blocks[l] = new Block(an, fn, wq, wk, wv, wo,
                    floats(model, TensorNames.blk(l, TensorNames.ATTN_Q_BIAS)),
                    floats(model, TensorNames.blk(l, TensorNames.ATTN_K_BIAS)),
                    floats(model, TensorNames.blk(l, TensorNames.ATTN_V_BIAS)),
                    floats(model, TensorNames.blk(l, TensorNames.ATTN_OUT_BIAS)), f.apply(layer));
        }
        int d = cfg.dim(), b = this.maxBatch;
        x = new float[b * d];
        xb = new float[b * d];
        attnOut = new float[b * cfg.qDim()];
        proj = new float[b * d];
        ffnOut = new float[b * d];
        q = new float[b * cfg.qDim()];
        k = new float[b * cfg.kvDim()];
        v = new float[b * cfg.kvDim()];
        att = new float[cfg.nHeads()][this.maxContext];
        logitsBuf = new float[cfg.vocabSize()];
        keyCache = new float[cfg.nLayers()][];
        valueCache = new float[cfg.nLayers()][];
        long kv = (long) this.maxContext * cfg.kvDim();
        if (kv > Integer.MAX_VALUE - 16) throw new TaylorMlpException("context " + this.maxContext + " too long for the KV cache");
        for (int l = 0; l < cfg.nLayers(); l++) {
            keyCache[l] = new float[(int) kv];
            valueCache[l] = new float[(int) kv];
        }
        kernels.hintWorkingSet(weightBytesPerToken());
    }

    /** The model's ordinary MLP for layer {@code l}, checked against the configuration. */
    public static FeedForward denseFeedForward(Model model, int l, Kernels kernels) {
        ModelConfig c = model.config();
        Tensor gate = c.gatedMlp() ? kernels.prepare(model.require(TensorNames.blk(l, TensorNames.FFN_GATE))) : null;
        Tensor up = kernels.prepare(model.require(TensorNames.blk(l, TensorNames.FFN_UP)));
        Tensor down = kernels.prepare(model.require(TensorNames.blk(l, TensorNames.FFN_DOWN)));
        if (gate != null) checkShape(model, gate, c.hiddenDim(), c.dim());
        checkShape(model, up, c.hiddenDim(), c.dim());
        checkShape(model, down, c.dim(), c.hiddenDim());
        return new DenseFeedForward(gate, up, floats(model, TensorNames.blk(l, TensorNames.FFN_UP_BIAS)), down,
                floats(model, TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS)), c.activation(), kernels);
    }

    private static float[] floats(Model m, String name) {
        Tensor t = m.optional(name);
        return t == null ? null : t.toFloats();
    }

    private static void checkShape(Model m, Tensor t, int rows, int cols) {
        long[] s = t.shape();
        if (s.length != 2 || s[0] != rows || s[1] != cols) {
            throw new org.taylormlp.format.ModelFormatException(m.source(), "tensor '" + t.name() + "' has shape "
                    + Arrays.toString(s) + ", expected [" + rows + ", " + cols + "]");
        }
    }

    public ModelConfig config() { return cfg; }
    public Kernels kernels() { return kernels; }
    public int maxContext() { return maxContext; }
    public int maxBatch() { return maxBatch; }
    public FeedForward feedForward(int layer) { return blocks[layer].ffn(); }

    /** Bytes of weights read to produce one token (all matrices + the output head). */
    public long weightBytesPerToken() {
        long n = output.byteSize();
        for (Block b : blocks) n += b.wq.byteSize() + b.wk.byteSize() + b.wv.byteSize() + b.wo.byteSize() + b.ffn.weightBytes();
        return n;
    }

    /**
     * JIT warm-up: runs throw-away forward passes (a few prompt batches, then single-token steps) so that the
     * kernels and this class are compiled before the first real token, for at most about {@code millis} ms
     * (checked between passes; skipped when one pass would not fit: big models are bandwidth-bound and their
     * first products compile the kernels anyway). The KV cache entries written are zeroed afterwards, so the
     * state is as freshly built. Returns the number of tokens run.
     */
    public int warmUp(long millis) {
        if (millis <= 0 || maxContext < 2) return 0;
        long budget = millis * 1_000_000L, t0 = System.nanoTime();
        // a crude cost model: one token reads every weight once; assume >= 2 GB/s even cold
        if (weightBytesPerToken() / 2e9 * 1e9 > budget / 4) return 0;
        int[] ids = new int[Math.min(maxBatch, 8)];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919 + 1) % cfg.vocabSize();
        int pos = 0, used = 0, tokens = 0;
        try {
            while (System.nanoTime() - t0 < budget) {
                if (tokens % 64 < ids.length && ids.length > 1 && pos + ids.length <= maxContext) {
                    forward(ids, 0, ids.length, pos); // prompt path (matmul kernels)
                    pos += ids.length;
                    tokens += ids.length;
                } else {
                    if (pos >= maxContext) pos = 0;
                    forward(ids[tokens % ids.length], pos++); // decode path
                    tokens++;
                }
                used = Math.max(used, pos);
                if (tokens >= 512) break;
            }
        } finally {
            int hs = cfg.headDim(), span = maxContext * hs;
            for (int l = 0; l < blocks.length; l++) {
                for (int h = 0; h < cfg.nKvHeads(); h++) {
                    Arrays.fill(keyCache[l], h * span, h * span + used * hs, 0f);
                    Arrays.fill(valueCache[l], h * span, h * span + used * hs, 0f);
                }
            }
            Arrays.fill(logitsBuf, 0f);
        }
        return tokens;
    }

    /**
     * Runs {@code n} tokens starting at position {@code pos} and returns the logits of the last one
     * (a shared buffer, overwritten by the next call).
     */
    public float[] forward(int[] tokens, int off, int n, int pos) {
        return forward(tokens, off, n, pos, null);
    }

    /**
     * As {@link #forward(int[], int, int, int)}; when {@code allLogits} is non-null it receives the logits of every
     * token ({@code n × vocab}, row-major).
     */
    public float[] forward(int[] tokens, int off, int n, int pos, float[] allLogits) {
        if (pos < 0 || pos + n > maxContext) {
            throw new TaylorMlpException("context overflow: positions " + pos + ".." + (pos + n) + " exceed the context of "
                    + maxContext + " tokens");
        }
        float[] last = null;
        for (int done = 0; done < n; done += maxBatch) {
            int b = Math.min(maxBatch, n - done);
            boolean isLast = done + b == n;
            last = forwardBatch(tokens, off + done, b, pos + done, allLogits, done, isLast);
        }
        return last;
    }

    public float[] forward(int token, int pos) {
        one[0] = token;
        return forward(one, 0, 1, pos);
    }

    private float[] forwardBatch(int[] tokens, int off, int batch, int pos, float[] allLogits, int logitRow, boolean last) {
        int d = cfg.dim(), qd = cfg.qDim(), kvd = cfg.kvDim(), hs = cfg.headDim();
        for (int b = 0; b < batch; b++) {
            int tok = tokens[off + b];
            if (tok < 0 || tok >= cfg.vocabSize()) throw new TaylorMlpException("token id " + tok + " out of range");
            tokenEmbd.read((long) tok * d, x, b * d, d);
        }
        for (int l = 0; l < blocks.length; l++) {
            Block blk = blocks[l];
            for (int b = 0; b < batch; b++) blk.attnNorm.apply(kernels, xb, b * d, x, b * d);
            if (batch == 1) {
                kernels.matvec3(blk.wq, blk.wk, blk.wv, xb, q, k, v);
            } else {
                kernels.matmul3(blk.wq, blk.wk, blk.wv, xb, batch, q, k, v);
            }
            for (int b = 0; b < batch; b++) {
                addBias(q, b * qd, blk.bq);
                addBias(k, b * kvd, blk.bk);
                addBias(v, b * kvd, blk.bv);
                int p = pos + b;
                rope.setPosition(p);
                // q and k leave RoPE in half-split order (see Rope.applyHalfSplit); the cache holds k that way
                for (int h = 0; h < cfg.nHeads(); h++) rope.applyHalfSplit(kernels, q, b * qd + h * hs);
                for (int h = 0; h < cfg.nKvHeads(); h++) rope.applyHalfSplit(kernels, k, b * kvd + h * hs);
                for (int h = 0, span = maxContext * hs; h < cfg.nKvHeads(); h++) {
                    System.arraycopy(k, b * kvd + h * hs, keyCache[l], h * span + p * hs, hs);
                    System.arraycopy(v, b * kvd + h * hs, valueCache[l], h * span + p * hs, hs);
                }
            }
            attend(l, batch, pos);
            kernels.matmul(blk.wo, attnOut, batch, proj);
            for (int b = 0; b < batch; b++) addBias(proj, b * d, blk.bo);
            int bd = batch * d;
            if (cfg.parallelResidual()) {
                blk.ffn.forward(xb, ffnOut, batch);
                for (int i = 0; i < bd; i++) x[i] += proj[i] + ffnOut[i];
            } else {
                for (int i = 0; i < bd; i++) x[i] += proj[i];
                for (int b = 0; b < batch; b++) blk.ffnNorm.apply(kernels, xb, b * d, x, b * d);
                blk.ffn.forward(xb, ffnOut, batch);
                for (int i = 0; i < bd; i++) x[i] += ffnOut[i];
            }
        }
        int vocab = cfg.vocabSize();
        if (allLogits != null) {
            for (int b = 0; b < batch; b++) outputNorm.apply(kernels, xb, b * d, x, b * d);
            if (logitsTmp.length < batch * vocab) logitsTmp = new float[maxBatch * vocab];
            float[] tmp = logitsTmp;
            kernels.matmul(output, xb, batch, tmp);
            for (int b = 0; b < batch; b++) addBias(tmp, b * vocab, outputBias);
            System.arraycopy(tmp, 0, allLogits, logitRow * vocab, batch * vocab);
            if (last) System.arraycopy(tmp, (batch - 1) * vocab, logitsBuf, 0, vocab);
            return logitsBuf;
        }
        if (!last) return null;
        outputNorm.apply(kernels, xb, 0, x, (batch - 1) * d);
        kernels.matvec(output, xb, 0, logitsBuf, 0, 0, vocab);
        addBias(logitsBuf, 0, outputBias);
        return logitsBuf;
    }

    /**
     * Attention of the {@code batch} rows at positions pos.., over the heads on the kernels' threads when the
     * work is worth a dispatch (each head has its own score buffer; a head's rows run on one thread).
     */
    private void attend(int l, int batch, int pos) {
        attnLayer = l;
        attnBatch = batch;
        attnPos = pos;
        int h = cfg.nHeads();
        long work = (long) h * batch * (pos + batch) * cfg.headDim();
        if (kernels.threads() > 1 && h > 1 && work >= ATTN_PARALLEL_MIN) kernels.parallelFor(h, 1, attnJob);
        else attnJob.run(0, h);
    }

    /** Decode/prefill attention for heads [h0, h1) of every row of the current batch. */
    private void attendHeads(int h0, int h1) {
        int l = attnLayer;
        int qd = cfg.qDim(), hs = cfg.headDim();
        int group = cfg.nHeads() / cfg.nKvHeads();
        int half = cfg.rotaryDim() / 2;
        float scale = (float) (1.0 / Math.sqrt(hs));
        float[] kc = keyCache[l], vc = valueCache[l];
        for (int h = h0; h < h1; h++) {
            int qo = h * hs, kvo = (h / group) * maxContext * hs;
            if (attnBatch > 1) {
                kernels.attention(q, qo, qd, attnBatch, kc, vc, kvo, hs, attnPos, cfg.slidingWindow(), hs, half, scale,
                        attnOut, qo, qd);
            } else {
                Kernels.attendStepwise(kernels, q, qo, qd, 1, kc, vc, kvo, hs, attnPos, cfg.slidingWindow(), hs, half,
                        scale, attnOut, qo, qd, att[h]);
            }
        }
    }

    private static void addBias(float[] a, int off, float[] bias) {
        if (bias == null) return;
        for (int i = 0; i < bias.length; i++) a[off + i] += bias[i];
    }
}
