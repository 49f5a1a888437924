package org.taylormlp.trace;

import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The attacker's function-preserving re-basing (attack d): a random orthogonal rotation R of the residual stream
 * with every RMSNorm weight folded into the following matrices (norms become 1; a tied output head is untied), a
 * permutation of attention heads (key/value heads with their query groups, query heads within a group), a
 * permutation of MLP neurons, and for SwiGLU a per-neuron rescaling up·c, down/c with c in ±[0.5, 2].
 * LayerNorm models (Phi-2) are not rotated (centering does not commute with a rotation); they get the
 * permutations only.
 */
final class Rebase {
    private Rebase() {}

    static Model apply(Model m, long seed) {
        ModelConfig c = m.config();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = c.dim(), hd = c.headDim(), nh = c.nHeads(), nkv = c.nKvHeads(), hidden = c.hiddenDim(), v = c.vocabSize();
        boolean rotate = c.normType() == ModelConfig.NormType.RMS;
        double[] r = rotate ? orthogonal(d, rnd) : null;
        Map<String, Tensor> ts = new LinkedHashMap<>(m.tensors());
        ModelConfig nc = c;
        if (rotate) {
            float[] e = m.require(TensorNames.TOKEN_EMBD).toFloats();
            float[] gOut = m.require(TensorNames.OUTPUT_NORM).toFloats();
            Tensor outT = m.optional(TensorNames.OUTPUT);
            float[] out = outT != null ? outT.toFloats() : e.clone();
            put(ts, TensorNames.TOKEN_EMBD, rightRotate(e, v, d, null, r), v, d);
            put(ts, TensorNames.OUTPUT, rightRotate(out, v, d, gOut, r), v, d);
            put(ts, TensorNames.OUTPUT_NORM, ones(d), d);
            if (c.tiedEmbeddings()) nc = c.withTiedEmbeddings(false);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            float[] wq = f(m, l, TensorNames.ATTN_Q), wk = f(m, l, TensorNames.ATTN_K), wv = f(m, l, TensorNames.ATTN_V),
                    wo = f(m, l, TensorNames.ATTN_OUT);
            if (rotate) {
                float[] g = f(m, l, TensorNames.ATTN_NORM);
                wq = rightRotate(wq, nh * hd, d, g, r);
                wk = rightRotate(wk, nkv * hd, d, g, r);
                wv = rightRotate(wv, nkv * hd, d, g, r);
                wo = leftRotateT(wo, d, nh * hd, r);
                put(ts, TensorNames.blk(l, TensorNames.ATTN_NORM), ones(d), d);
                Tensor ob = m.optional(TensorNames.blk(l, TensorNames.ATTN_OUT_BIAS));
                if (ob != null) put(ts, TensorNames.blk(l, TensorNames.ATTN_OUT_BIAS), leftRotateT(ob.toFloats(), d, 1, r), d);
            }
            // heads: kv groups permuted, query heads within each group permuted
            int group = nh / nkv;
            int[] kvp = perm(nkv, rnd);
            int[] qp = new int[nh];
            for (int k = 0; k < nkv; k++) {
                int[] w = perm(group, rnd);
                for (int i = 0; i < group; i++) qp[k * group + i] = kvp[k] * group + w[i];
            }
            put(ts, TensorNames.blk(l, TensorNames.ATTN_Q), rows(wq, qp, hd * d), nh * hd, d);
            put(ts, TensorNames.blk(l, TensorNames.ATTN_K), rows(wk, kvp, hd * d), nkv * hd, d);
            put(ts, TensorNames.blk(l, TensorNames.ATTN_V), rows(wv, kvp, hd * d), nkv * hd, d);
            put(ts, TensorNames.blk(l, TensorNames.ATTN_OUT), cols(wo, d, nh * hd, qp, hd), d, nh * hd);
            for (String[] b : new String[][]{{TensorNames.ATTN_Q_BIAS, "q"}, {TensorNames.ATTN_K_BIAS, "k"}, {TensorNames.ATTN_V_BIAS, "v"}}) {
                Tensor t = m.optional(TensorNames.blk(l, b[0]));
                if (t != null) put(ts, TensorNames.blk(l, b[0]), rows(t.toFloats(), b[1].equals("q") ? qp : kvp, hd), (int) t.size());
            }
            // MLP
            float[] gate = c.gatedMlp() ? f(m, l, TensorNames.FFN_GATE) : null, up = f(m, l, TensorNames.FFN_UP),
                    down = f(m, l, TensorNames.FFN_DOWN);
            if (rotate) {
                float[] g = c.parallelResidual() ? f(m, l, TensorNames.ATTN_NORM) : f(m, l, TensorNames.FFN_NORM);
                if (gate != null) gate = rightRotate(gate, hidden, d, g, r);
                up = rightRotate(up, hidden, d, g, r);
                down = leftRotateT(down, d, hidden, r);
                if (!c.parallelResidual()) put(ts, TensorNames.blk(l, TensorNames.FFN_NORM), ones(d), d);
                Tensor db = m.optional(TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS));
                if (db != null) put(ts, TensorNames.blk(l, TensorNames.FFN_DOWN_BIAS), leftRotateT(db.toFloats(), d, 1, r), d);
            }
            int[] np = perm(hidden, rnd);
            if (c.gatedMlp()) {
                for (int j = 0; j < hidden; j++) {
                    double s = (0.5 + 1.5 * rnd.nextDouble()) * (rnd.nextBoolean() ? 1 : -1);
                    for (int k = 0; k < d; k++) up[j * d + k] = (float) (up[j * d + k] * s);
                    for (int i = 0; i < d; i++) down[i * hidden + j] = (float) (down[i * hidden + j] / s);
                }
                put(ts, TensorNames.blk(l, TensorNames.FFN_GATE), rows(gate, np, d), hidden, d);
            }
            put(ts, TensorNames.blk(l, TensorNames.FFN_UP), rows(up, np, d), hidden, d);
            put(ts, TensorNames.blk(l, TensorNames.FFN_DOWN), cols(down, d, hidden, np, 1), d, hidden);
            Tensor ub = m.optional(TensorNames.blk(l, TensorNames.FFN_UP_BIAS));
            if (ub != null) put(ts, TensorNames.blk(l, TensorNames.FFN_UP_BIAS), rows(ub.toFloats(), np, 1), hidden);
        }
        return new Model(m.source(), m.format(), nc, ts, m.tokenizer(), m.metadata(), List.of());
    }

    private static float[] f(Model m, int l, String s) { return m.require(TensorNames.blk(l, s)).toFloats(); }

    private static void put(Map<String, Tensor> ts, String name, float[] x, long... shape) {
        ts.put(name, Tensor.ofFloats(name, x, shape));
    }

    private static float[] ones(int d) {
        float[] o = new float[d];
        java.util.Arrays.fill(o, 1f);
        return o;
    }

    /** W [rows, d] → W·diag(g)·R. */
    static float[] rightRotate(float[] w, int rows, int d, float[] g, double[] r) {
        float[] out = new float[w.length];
        java.util.stream.IntStream.range(0, rows).parallel().forEach(i -> {
            double[] acc = new double[d];
            for (int k = 0; k < d; k++) {
                double x = w[i * d + k] * (g == null ? 1.0 : g[k]);
                if (x == 0) continue;
                for (int j = 0; j < d; j++) acc[j] += x * r[k * d + j];
            }
            for (int j = 0; j < d; j++) out[i * d + j] = (float) acc[j];
        });
        return out;
    }

    /** W [d, cols] → Rᵀ·W. */
    static float[] leftRotateT(float[] w, int d, int cols, double[] r) {
        float[] out = new float[w.length];
        java.util.stream.IntStream.range(0, d).parallel().forEach(i -> {
            double[] acc = new double[cols];
            for (int k = 0; k < d; k++) {
                double x = r[k * d + i];
                for (int j = 0; j < cols; j++) acc[j] += x * w[k * cols + j];
            }
            for (int j = 0; j < cols; j++) out[i * cols + j] = (float) acc[j];
        });
        return out;
    }

    /** Random orthogonal matrix (Gram-Schmidt of a Gaussian matrix, twice for accuracy). */
    static double[] orthogonal(int d, SplittableRandom rnd) {
        double[] q = new double[d * d];
        for (int i = 0; i < q.length; i++) q[i] = gauss(rnd);
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < i; j++) {
                    double s = 0;
                    for (int k = 0; k < d; k++) s += q[i * d + k] * q[j * d + k];
                    for (int k = 0; k < d; k++) q[i * d + k] -= s * q[j * d + k];
                }
                double n = 0;
                for (int k = 0; k < d; k++) n += q[i * d + k] * q[i * d + k];
                n = Math.sqrt(n);
                for (int k = 0; k < d; k++) q[i * d + k] /= n;
            }
        }
        return q;
    }

    static double gauss(SplittableRandom rnd) {
        double u = rnd.nextDouble(), v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    static int[] perm(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Blocks of len: out block p[j] = in block j. */
    static float[] rows(float[] w, int[] p, int len) {
        float[] out = new float[w.length];
        for (int j = 0; j < p.length; j++) System.arraycopy(w, j * len, out, p[j] * len, len);
        return out;
    }

    static float[] cols(float[] w, int rows, int cols, int[] p, int len) {
        float[] out = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < p.length; j++) System.arraycopy(w, r * cols + j * len, out, r * cols + p[j] * len, len);
        }
        return out;
    }
}
