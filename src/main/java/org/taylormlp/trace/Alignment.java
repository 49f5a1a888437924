package org.taylormlp.trace;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Brings a suspect model's marked matrices back into the original's basis, undoing every function-preserving
 * re-basing an attacker may apply:
 * <ul>
 *   <li>an orthogonal rotation R of the residual stream (with the norm weights folded into the neighbouring
 *       matrices): R is found by orthogonal Procrustes on the token embeddings (which are never marked),
 *       E_suspect ≈ E_original·R; input-side matrices become W_s·diag(g_s)·Rᵀ·diag(1/g_o), output-side R·W_s;
 *       skipped (R = I) when the embeddings already agree to within 50 % relative error;</li>
 *   <li>a permutation of attention heads: query heads matched by their W_q blocks, key/value heads by W_k blocks
 *       (cosine, global greedy assignment); W_o's columns follow the query heads, W_v's rows the key/value heads;</li>
 *   <li>a permutation of MLP neurons (matched by gate rows, or fc1 rows for plain MLPs; random-projection
 *       sketches first, full cosine to confirm) and, for SwiGLU, a per-neuron rescaling up·c, down/c (c
 *       estimated by least squares from both rows).</li>
 * </ul>
 * Everything is estimated from the weights alone, with no access to any recipient's pattern, so alignment
 * cannot create a mark that is not there.
 */
final class Alignment {
    private final Model orig, sus;
    private final ModelConfig c;
    /** Residual rotation (row-major dim×dim, E_s ≈ E_o·R) or null for none. */
    final double[] rotation;
    final double embeddingResidual;
    int permutedHeads, permutedNeurons, rescaledNeurons, fallbackMatches;
    double minNeuronCosine = 1, minHeadCosine = 1;

    Alignment(Model original, Model suspect) {
        this.orig = original;
        this.sus = suspect;
        this.c = original.config();
        ModelConfig s = suspect.config();
        if (s.dim() != c.dim() || s.hiddenDim() != c.hiddenDim() || s.nLayers() != c.nLayers() || s.nHeads() != c.nHeads()
                || s.nKvHeads() != c.nKvHeads() || s.headDim() != c.headDim() || s.vocabSize() != c.vocabSize()
                || s.gatedMlp() != c.gatedMlp()) {
            throw new TaylorMlpException("the suspect's shapes differ from the original's (dim " + s.dim() + "/" + c.dim()
                    + ", hidden " + s.hiddenDim() + "/" + c.hiddenDim() + ", layers " + s.nLayers() + "/" + c.nLayers()
                    + ", heads " + s.nHeads() + "/" + c.nHeads() + ", vocab " + s.vocabSize() + "/" + c.vocabSize()
                    + "): not a copy of this original");
        }
        int d = c.dim();
        Tensor teo = orig.require(TensorNames.TOKEN_EMBD), tes = sus.require(TensorNames.TOKEN_EMBD);
        // rotation test on up to 2,048 evenly spaced embedding rows; Procrustes on up to max(8,192, 8·dim)
        int[] probe = spaced(c.vocabSize(), 2048);
        float[] po = rows(teo, probe, d), ps = rows(tes, probe, d);
        double num = 0, den = 0;
        for (int i = 0; i < po.length; i++) {
            double t = ps[i] - po[i];
            num += t * t;
            den += (double) po[i] * po[i];
        }
        double rel = Math.sqrt(num / Math.max(den, Double.MIN_NORMAL));
        if (rel < 0.5) {
            rotation = null;
            embeddingResidual = rel;
        } else {
            int[] fit = spaced(c.vocabSize(), Math.max(8192, 8 * d));
            float[] eo = rows(teo, fit, d), es = rows(tes, fit, d);
            int v = fit.length;
            double[] m = new double[d * d]; // E_oᵀ E_s
            IntStream.range(0, d).parallel().forEach(a -> {
                for (int t = 0; t < v; t++) {
                    double x = eo[t * d + a];
                    if (x == 0) continue;
                    int o = t * d;
                    for (int b = 0; b < d; b++) m[a * d + b] += x * es[o + b];
                }
            });
            rotation = polar(m, d);
            // residual on at most 4,096 evenly spaced rows (the full product costs vocab·dim² again)
            double r2 = 0, den2 = 0;
            for (int t = 0; t < v; t += Math.max(1, v / 2048)) {
                for (int b = 0; b < d; b++) den2 += (double) eo[t * d + b] * eo[t * d + b];
                for (int b = 0; b < d; b++) {
                    double y = 0;
                    for (int a = 0; a < d; a++) y += eo[t * d + a] * rotation[a * d + b];
                    double e = es[t * d + b] - y;
                    r2 += e * e;
                }
            }
            embeddingResidual = Math.sqrt(r2 / Math.max(den2, Double.MIN_NORMAL));
        }
    }

    /** min(n, k) indices spread evenly over [0, n). */
    private static int[] spaced(int n, int k) {
        int m = Math.min(n, k);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) out[i] = (int) ((long) i * n / m);
        return out;
    }

    private static float[] rows(Tensor t, int[] idx, int d) {
        float[] out = new float[idx.length * d], row = new float[d];
        for (int i = 0; i < idx.length; i++) {
            t.readRow(idx[i], row);
            System.arraycopy(row, 0, out, i * d, d);
        }
        return out;
    }

    /** One layer's marked matrices: original and aligned suspect, row-major, in the original's basis and order. */
    record Layer(Map<String, float[]> original, Map<String, float[]> aligned, Map<String, int[]> shapes, boolean diagonal,
                 Map<String, float[]> inputScale, int[] qp, int[] kp, int[] np) {}

    /**
     * The original matrix in the suspect's own basis: the alignment's head and neuron permutations and the norm
     * weights' column scaling applied in reverse to the original. Null when this layer's alignment also rotated the
     * residual stream or rescaled neurons (those are estimated, not exact, so the result would not be either).
     */
    float[] originalInSuspectBasis(Layer layer, String suffix) {
        if (!layer.diagonal()) return null;
        float[] o = permuted(suffix, layer.original().get(suffix), inverse(layer.qp()), inverse(layer.kp()), inverse(layer.np()));
        float[] sc = layer.inputScale().get(suffix);
        if (sc == null) return o;
        int cols = sc.length;
        for (int i = 0; i < o.length; i++) {
            float g = sc[i % cols];
            if (!(g != 0) || !Float.isFinite(g)) return null;
            o[i] = (float) ((double) o[i] * g);
        }
        return o;
    }

    /**
     * Per-element values {@code v} laid out in the suspect's basis (as {@link #originalInSuspectBasis} returns),
     * moved to the original's basis: the permutations applied forward, each value multiplied by the sign of its
     * column's norm-weight ratio (a negative ratio mirrors the direction a mark moved the weight).
     */
    float[] suspectToOriginalBasis(Layer layer, String suffix, float[] v) {
        float[] sc = layer.inputScale().get(suffix);
        if (sc != null) {
            v = v.clone();
            for (int i = 0; i < v.length; i++) if (sc[i % sc.length] < 0) v[i] = -v[i];
        }
        return permuted(suffix, v, layer.qp(), layer.kp(), layer.np());
    }

    /**
     * A new array: marked matrix {@code v} (by suffix) with the query-head (qp), key/value-head (kp) and neuron (np)
     * permutations applied, block j moved to p[j]: the rows of W_q / W_k, W_v / gate, up, the columns of W_o / down.
     */
    private float[] permuted(String suffix, float[] v, int[] qp, int[] kp, int[] np) {
        int d = c.dim(), hd = c.headDim(), nh = c.nHeads(), hidden = c.hiddenDim();
        return switch (suffix) {
            case TensorNames.ATTN_Q -> permuteRows(v, qp, hd * d);
            case TensorNames.ATTN_K, TensorNames.ATTN_V -> permuteRows(v, kp, hd * d);
            case TensorNames.ATTN_OUT -> permuteCols(v, d, nh * hd, qp, hd);
            case TensorNames.FFN_GATE, TensorNames.FFN_UP -> permuteRows(v, np, d);
            case TensorNames.FFN_DOWN -> permuteCols(v, d, hidden, np, 1);
            default -> throw new IllegalArgumentException("not a marked matrix: " + suffix);
        };
    }

    private static int[] inverse(int[] p) {
        int[] q = new int[p.length];
        for (int j = 0; j < p.length; j++) q[p[j]] = j;
        return q;
    }

    Layer align(int l) {
        int d = c.dim(), hd = c.headDim(), nh = c.nHeads(), nkv = c.nKvHeads(), hidden = c.hiddenDim();
        Map<String, float[]> o = new LinkedHashMap<>(), a = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (String suffix : Mark.MARKED) {
            String n = TensorNames.blk(l, suffix);
            Tensor to = orig.optional(n);
            if (to == null) continue;
            Tensor ts = sus.optional(n);
            if (ts == null) throw new TaylorMlpException("the suspect lacks tensor " + n);
            if (!Arrays.equals(to.shape(), ts.shape())) {
                throw new TaylorMlpException("tensor " + n + " has shape " + Arrays.toString(ts.shape()) + " in the suspect, "
                        + Arrays.toString(to.shape()) + " in the original");
            }
            o.put(suffix, floats(to));
            a.put(suffix, floats(ts));
            shapes.put(suffix, new int[]{to.rows(), to.cols()});
        }
        float[] gAttnO = norm(orig, l, TensorNames.ATTN_NORM), gAttnS = norm(sus, l, TensorNames.ATTN_NORM);
        float[] gFfnO = c.parallelResidual() ? gAttnO : norm(orig, l, TensorNames.FFN_NORM);
        float[] gFfnS = c.parallelResidual() ? gAttnS : norm(sus, l, TensorNames.FFN_NORM);
        int rescaledBefore = rescaledNeurons;
        Map<String, float[]> inputScale = new LinkedHashMap<>();
        float[] attnScale = ratio(gAttnO, gAttnS, d), ffnScale = ratio(gFfnO, gFfnS, d);
        for (String suffix : List.of(TensorNames.ATTN_Q, TensorNames.ATTN_K, TensorNames.ATTN_V)) {
            inputSide(a.get(suffix), gAttnS, gAttnO);
            inputScale.put(suffix, attnScale);
        }
        for (String suffix : List.of(TensorNames.FFN_GATE, TensorNames.FFN_UP)) {
            if (!a.containsKey(suffix)) continue;
            inputSide(a.get(suffix), gFfnS, gFfnO);
            inputScale.put(suffix, ffnScale);
        }
        for (String suffix : List.of(TensorNames.ATTN_OUT, TensorNames.FFN_DOWN)) outputSide(a.get(suffix), shapes.get(suffix)[1]);

        // attention heads (matched by W_q / W_k blocks) and MLP neurons (by gate or fc1 rows), then undone
        int[] qp = match(a.get(TensorNames.ATTN_Q), o.get(TensorNames.ATTN_Q), nh, hd * d, true);
        int[] kp = match(a.get(TensorNames.ATTN_K), o.get(TensorNames.ATTN_K), nkv, hd * d, true);
        String in = c.gatedMlp() ? TensorNames.FFN_GATE : TensorNames.FFN_UP;
        int[] np = matchNeurons(a.get(in), o.get(in), hidden, d);
        a.replaceAll((suffix, w) -> permuted(suffix, w, qp, kp, np));
        if (c.gatedMlp()) rescale(a.get(TensorNames.FFN_UP), o.get(TensorNames.FFN_UP), a.get(TensorNames.FFN_DOWN),
                o.get(TensorNames.FFN_DOWN), hidden, d);
        boolean diagonal = rotation == null && rescaledNeurons == rescaledBefore;
        return new Layer(o, a, shapes, diagonal, inputScale, qp, kp, np);
    }

    /** go/gs per column (what maps an input-side matrix from the original's basis to the suspect's), null if all 1. */
    private static float[] ratio(float[] go, float[] gs, int d) {
        if (go == null && gs == null) return null;
        float[] r = new float[d];
        boolean ones = true;
        for (int k = 0; k < d; k++) {
            double o = go == null ? 1 : go[k], s = gs == null ? 1 : gs[k];
            r[k] = s != 0 ? (float) (o / s) : Float.NaN;
            ones &= r[k] == 1f;
        }
        return ones ? null : r;
    }

    private static float[] norm(Model m, int l, String suffix) {
        Tensor t = m.optional(TensorNames.blk(l, suffix));
        return t == null ? null : t.toFloats();
    }

    static float[] floats(Tensor t) {
        if ((long) t.size() > Integer.MAX_VALUE - 16) throw new TaylorMlpException(t.name() + " is too large to trace (" + t.size() + " elements)");
        return t.toFloats();
    }

    /** Rows x of an input-side matrix: x ⊙ g_s, then x·Rᵀ, then ÷ g_o. */
    private void inputSide(float[] w, float[] gs, float[] go) {
        if (w == null) return;
        int d = c.dim(), rows = w.length / d;
        IntStream.range(0, rows).parallel().forEach(r -> {
            int off = r * d;
            double[] x = new double[d];
            for (int k = 0; k < d; k++) x[k] = gs == null ? w[off + k] : (double) w[off + k] * gs[k];
            if (rotation != null) {
                double[] y = new double[d];
                for (int j = 0; j < d; j++) {
                    double s = 0;
                    int ro = j * d;
                    for (int k = 0; k < d; k++) s += x[k] * rotation[ro + k];
                    y[j] = s;
                }
                x = y;
            }
            for (int k = 0; k < d; k++) {
                double g = go == null ? 1 : go[k];
                w[off + k] = (float) (g != 0 ? x[k] / g : x[k]);
            }
        });
    }

    /** An output-side matrix [dim, cols]: R·W. */
    private void outputSide(float[] w, int cols) {
        if (w == null || rotation == null) return;
        int d = c.dim();
        float[] src = w.clone();
        IntStream.range(0, d).parallel().forEach(i -> {
            double[] acc = new double[cols];
            for (int k = 0; k < d; k++) {
                double r = rotation[i * d + k];
                if (r == 0) continue;
                int o = k * cols;
                for (int j = 0; j < cols; j++) acc[j] += r * src[o + j];
            }
            for (int j = 0; j < cols; j++) w[i * cols + j] = (float) acc[j];
        });
    }

    /**
     * Matches n blocks of {@code len} floats of the suspect to the original's by cosine (global greedy); returns
     * p with suspect block j → original block p[j].
     */
    private int[] match(float[] s, float[] o, int n, int len, boolean heads) {
        double[] ns = new double[n], no = new double[n];
        for (int j = 0; j < n; j++) {
            ns[j] = Math.sqrt(dot(s, j * len, s, j * len, len));
            no[j] = Math.sqrt(dot(o, j * len, o, j * len, len));
        }
        double[][] sim = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) sim[i][j] = dot(s, i * len, o, j * len, len) / Math.max(ns[i] * no[j], Double.MIN_NORMAL);
        }
        int[] p = greedy(sim, n);
        int moved = 0;
        for (int j = 0; j < n; j++) {
            if (p[j] != j) moved++;
            if (heads) minHeadCosine = Math.min(minHeadCosine, sim[j][p[j]]);
        }
        if (heads) permutedHeads += moved;
        return p;
    }

    private static int[] greedy(double[][] sim, int n) {
        List<long[]> pairs = new ArrayList<>();
        Integer[] idx = new Integer[n * n];
        for (int i = 0; i < n * n; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> Double.compare(sim[y / n][y % n], sim[x / n][x % n]));
        int[] p = new int[n];
        Arrays.fill(p, -1);
        boolean[] used = new boolean[n];
        for (int k : idx) {
            int i = k / n, j = k % n;
            if (p[i] < 0 && !used[j]) {
                p[i] = j;
                used[j] = true;
            }
        }
        return p;
    }

    private static double dot(float[] a, int ao, float[] b, int bo, int n) {
        double s = 0;
        for (int k = 0; k < n; k++) s += (double) a[ao + k] * b[bo + k];
        return s;
    }

    /** Neuron matching by rows (gate or fc1): identity when every row already matches, else sketches + cosine. */
    private int[] matchNeurons(float[] s, float[] o, int hidden, int d) {
        double[] ns = new double[hidden], no = new double[hidden];
        for (int j = 0; j < hidden; j++) {
            ns[j] = Math.sqrt(dot(s, j * d, s, j * d, d));
            no[j] = Math.sqrt(dot(o, j * d, o, j * d, d));
        }
        int[] p = new int[hidden];
        boolean identity = true;
        double minCos = 1;
        for (int j = 0; j < hidden && identity; j++) {
            double cs = cos(s, j, o, j, d, ns, no);
            minCos = Math.min(minCos, cs);
            if (cs < 0.5) identity = false;
        }
        if (identity) {
            for (int j = 0; j < hidden; j++) p[j] = j;
            minNeuronCosine = Math.min(minNeuronCosine, minCos);
            return p;
        }
        final int K = 32;
        SplittableRandom rnd = new SplittableRandom(0x7ace);
        double[] dirs = new double[K * d];
        for (int i = 0; i < dirs.length; i++) dirs[i] = rnd.nextDouble() * 2 - 1;
        double[] sk = sketch(s, hidden, d, dirs, K, ns), ok = sketch(o, hidden, d, dirs, K, no);
        int[] cand = new int[hidden];
        IntStream.range(0, hidden).parallel().forEach(j -> {
            double best = Double.NEGATIVE_INFINITY;
            int bi = -1;
            for (int i = 0; i < hidden; i++) {
                double t = 0;
                for (int k = 0; k < K; k++) t += sk[j * K + k] * ok[i * K + k];
                if (t > best) {
                    best = t;
                    bi = i;
                }
            }
            cand[j] = bi;
        });
        boolean[] used = new boolean[hidden];
        int[] owner = new int[hidden];
        Arrays.fill(owner, -1);
        List<Integer> redo = new ArrayList<>();
        for (int j = 0; j < hidden; j++) {
            int i = cand[j];
            if (i < 0 || used[i] || cos(s, j, o, i, d, ns, no) < 0.5) {
                redo.add(j);
                continue;
            }
            used[i] = true;
            p[j] = i;
        }
        // unresolved: full cosine over the unused original neurons, best first
        fallbackMatches += redo.size();
        if (!redo.isEmpty()) {
            List<Integer> free = new ArrayList<>();
            for (int i = 0; i < hidden; i++) if (!used[i]) free.add(i);
            double[][] sim = new double[redo.size()][free.size()];
            IntStream.range(0, redo.size()).parallel().forEach(x -> {
                for (int y = 0; y < free.size(); y++) sim[x][y] = cos(s, redo.get(x), o, free.get(y), d, ns, no);
            });
            int[] g = greedy(sim, redo.size());
            for (int x = 0; x < redo.size(); x++) p[redo.get(x)] = free.get(g[x]);
        }
        for (int j = 0; j < hidden; j++) {
            if (p[j] != j) permutedNeurons++;
            minNeuronCosine = Math.min(minNeuronCosine, cos(s, j, o, p[j], d, ns, no));
        }
        return p;
    }

    private static double cos(float[] s, int j, float[] o, int i, int d, double[] ns, double[] no) {
        return dot(s, j * d, o, i * d, d) / Math.max(ns[j] * no[i], Double.MIN_NORMAL);
    }

    private static double[] sketch(float[] w, int rows, int d, double[] dirs, int k, double[] norms) {
        double[] out = new double[rows * k];
        IntStream.range(0, rows).parallel().forEach(r -> {
            double len = 0;
            for (int q = 0; q < k; q++) {
                double t = 0;
                for (int x = 0; x < d; x++) t += w[r * d + x] * dirs[q * d + x];
                out[r * k + q] = t;
                len += t * t;
            }
            len = Math.sqrt(len);
            if (len > 0) for (int q = 0; q < k; q++) out[r * k + q] /= len;
        });
        return out;
    }

    /** Rows in blocks of {@code len}: out block p[j] = in block j. */
    private static float[] permuteRows(float[] w, int[] p, int len) {
        if (w == null) return null;
        float[] out = new float[w.length];
        for (int j = 0; j < p.length; j++) System.arraycopy(w, j * len, out, p[j] * len, len);
        return out;
    }

    /** Columns of a [rows, cols] matrix in blocks of {@code len}: out block p[j] = in block j. */
    private static float[] permuteCols(float[] w, int rows, int cols, int[] p, int len) {
        if (w == null) return null;
        float[] out = new float[w.length];
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            for (int j = 0; j < p.length; j++) System.arraycopy(w, o + j * len, out, o + p[j] * len, len);
        }
        return out;
    }

    /** SwiGLU rescaling: up_j·c, down_j/c; c fitted from both (α = ⟨u_s,u_o⟩/|u_o|², β = ⟨d_s,d_o⟩/|d_o|², c = ±√(α/β)). */
    private void rescale(float[] us, float[] uo, float[] ds, float[] dO, int hidden, int d) {
        for (int j = 0; j < hidden; j++) {
            double uu = dot(us, j * d, uo, j * d, d), oo = dot(uo, j * d, uo, j * d, d);
            double dd = 0, od = 0;
            for (int i = 0; i < d; i++) {
                dd += (double) ds[i * hidden + j] * dO[i * hidden + j];
                od += (double) dO[i * hidden + j] * dO[i * hidden + j];
            }
            if (oo == 0 || od == 0) continue;
            double alpha = uu / oo, beta = dd / od;
            if (!(alpha * beta > 0)) continue;
            double cj = Math.signum(alpha) * Math.sqrt(alpha / beta);
            // not rescaled (|c - 1| within 5 standard errors of the two least-squares fits, at least 1e-3): leave the
            // weights exactly as they are, so that a quantized copy keeps its grid (Tracer.gridCoefficients)
            double ru = 0, rd = 0;
            for (int k = 0; k < d; k++) {
                double e = us[j * d + k] - alpha * uo[j * d + k];
                ru += e * e;
            }
            for (int i = 0; i < d; i++) {
                double e = ds[i * hidden + j] - beta * dO[i * hidden + j];
                rd += e * e;
            }
            double seA = Math.sqrt(ru / Math.max(1, d - 1) / oo) / Math.abs(alpha), seB = Math.sqrt(rd / Math.max(1, d - 1) / od) / Math.abs(beta);
            double seC = 0.5 * Math.sqrt(seA * seA + seB * seB);
            if (Math.abs(cj - 1) < Math.max(1e-3, 5 * seC)) continue;
            rescaledNeurons++;
            for (int k = 0; k < d; k++) us[j * d + k] = (float) (us[j * d + k] / cj);
            for (int i = 0; i < d; i++) ds[i * hidden + j] = (float) (ds[i * hidden + j] * cj);
        }
    }

    /** Orthogonal polar factor of a (row-major n×n) by scaled Newton iteration X ← (γX + (γX)^{-T})/2. */
    static double[] polar(double[] a, int n) {
        double[] x = a.clone();
        for (int it = 0; it < 100; it++) {
            double[] inv = invert(x, n);
            if (inv == null) throw new TaylorMlpException("cannot align the residual stream: the embedding cross-product is singular");
            double fx = frob(x), fi = frob(inv);
            double g = Math.sqrt(fi / fx);
            double[] next = new double[n * n];
            double change = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double v = 0.5 * (g * x[i * n + j] + inv[j * n + i] / g);
                    change += (v - x[i * n + j]) * (v - x[i * n + j]);
                    next[i * n + j] = v;
                }
            }
            x = next;
            if (Math.sqrt(change) < 1e-13 * Math.sqrt(n)) break;
        }
        return x;
    }

    private static double frob(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s);
    }

    /** Gauss-Jordan inverse with partial pivoting, or null if singular. */
    static double[] invert(double[] a, int n) {
        double[] m = a.clone(), inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[piv * n + col])) piv = r;
            if (Math.abs(m[piv * n + col]) < 1e-300) return null;
            if (piv != col) {
                swapRows(m, piv, col, n);
                swapRows(inv, piv, col, n);
            }
            double dv = 1 / m[col * n + col];
            for (int k = 0; k < n; k++) {
                m[col * n + k] *= dv;
                inv[col * n + k] *= dv;
            }
            final int cc = col;
            IntStream.range(0, n).parallel().forEach(r -> {
                if (r == cc) return;
                double f = m[r * n + cc];
                if (f == 0) return;
                for (int k = 0; k < n; k++) {
                    m[r * n + k] -= f * m[cc * n + k];
                    inv[r * n + k] -= f * inv[cc * n + k];
                }
            });
        }
        return inv;
    }

    private static void swapRows(double[] a, int i, int j, int n) {
        for (int k = 0; k < n; k++) {
            double t = a[i * n + k];
            a[i * n + k] = a[j * n + k];
            a[j * n + k] = t;
        }
    }
}
