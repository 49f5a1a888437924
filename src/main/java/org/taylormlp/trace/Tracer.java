package org.taylormlp.trace;

import org.taylormlp.model.Model;
import org.taylormlp.model.TensorNames;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Scores a suspect model against recipients' marks, with one of two statistics (reported as
 * {@code aligned.statistic}): the grid statistic ({@link #gridCoefficients}) when every marked matrix of the suspect is
 * stored in a rounding type whose rounding the owner can reproduce, otherwise the residual statistic below. Both have
 * the form z_k = Σ d_i·s_ki / √(Σ d_i²) with d computed from the suspect and the original only.
 *
 * <p>Residual statistic: after {@link Alignment}, every element i of every marked matrix gives a residual r_i = suspect_i − original_i
 * and c_i = r_i·|original_i| (the mark a recipient k would have left is strength·|original_i|·s_ki). Rows are
 * weighted by their signal-to-noise ratio, which depends on the weights only: row ρ gets
 * w_ρ = Σ original_i² / ‖c_ρ‖ (capped at 10× the tensor's median), and d_i = c_i·w_ρ/‖c_ρ‖. For recipient k,
 * <pre>z_k = Σ_i d_i·s_ki / √(Σ_i d_i²)</pre>
 *
 * <p><b>Null distribution.</b> For a recipient whose mark is not in the suspect, s_k is a fair ±1 sequence independent
 * of the suspect, the original and therefore of d (the keyed PRF is independent across recipients). Conditionally on
 * d, z_k is a Rademacher sum with unit variance: mean 0, standard deviation exactly 1, approximately N(0,1), and by
 * Hoeffding's inequality P(z_k ≥ t) ≤ exp(−t²/2) without any normal approximation (t = 10: ≤ 2·10⁻²²). This holds
 * whatever the attacker did to the weights, because alignment and weights never look at any pattern. For the
 * source recipient, E[z] ≈ strength·Σ d_i·|original_i|·... grows with √(number of weights): ~10³ for an intact
 * stories15M copy.
 */
public final class Tracer {
    private Tracer() {}

    public static final double DEFAULT_THRESHOLD = 10;

    public record Score(String id, double z) {}

    /**
     * @param named      recipients with z ≥ threshold, highest first (several = collusion)
     * @param aligned    what alignment found and undid
     */
    public record Result(List<Score> scores, List<String> named, double threshold, Map<String, Object> aligned, double seconds) {
        public String verdict() { return named.isEmpty() ? null : String.join(",", named); }

        public double z(String id) {
            for (Score s : scores) if (s.id.equals(id)) return s.z;
            throw new IllegalArgumentException(id);
        }
    }

    public static Result trace(Model original, Model suspect, byte[] secret, List<String> recipients, double threshold) {
        long t0 = System.nanoTime();
        List<Mark> marks = new ArrayList<>();
        for (String r : recipients) marks.add(Mark.of(secret, r));
        Alignment al = new Alignment(original, suspect);
        int nr = marks.size();
        // both statistics over every marked matrix: [0] residual, [1] grid (meaningful only if every matrix has a grid)
        double[][] num = new double[2][nr];
        double[] norm2 = new double[2];
        long elements = 0, flips = 0;
        boolean grid = true;
        java.util.Set<String> gridTypes = new java.util.TreeSet<>();
        for (int l = 0; l < original.config().nLayers(); l++) {
            Alignment.Layer layer = al.align(l);
            for (Map.Entry<String, float[]> e : layer.original().entrySet()) {
                String suffix = e.getKey();
                float[] o = e.getValue(), a = layer.aligned().get(suffix);
                int[] sh = layer.shapes().get(suffix);
                String name = TensorNames.blk(l, suffix);
                elements += o.length;
                float[] d = new float[o.length];
                norm2[0] += coefficients(o, a, sh[0], sh[1], d);
                add(num[0], marks, name, d);
                if (!grid) continue;
                float[] os = al.originalInSuspectBasis(layer, suffix);
                Tensor ts = suspect.require(name);
                long f = os == null ? -1 : gridCoefficients(os, ts, d);
                if (f < 0) {
                    grid = false;
                    continue;
                }
                d = al.suspectToOriginalBasis(layer, suffix, d);
                gridTypes.add(ts.dtype().toString());
                flips += f;
                norm2[1] += f;
                add(num[1], marks, name, d);
            }
        }
        int used = grid ? 1 : 0;
        double den = Math.sqrt(norm2[used]);
        List<Score> scores = new ArrayList<>();
        for (int k = 0; k < nr; k++) scores.add(new Score(marks.get(k).recipient(), den > 0 ? num[used][k] / den : 0));
        List<Score> sorted = new ArrayList<>(scores);
        sorted.sort((x, y) -> Double.compare(y.z, x.z));
        List<String> named = new ArrayList<>();
        for (Score s : sorted) if (s.z >= threshold) named.add(s.id);
        Map<String, Object> aj = new LinkedHashMap<>();
        aj.put("residual_rotation", al.rotation != null);
        aj.put("embedding_relative_residual", al.embeddingResidual);
        aj.put("permuted_heads", al.permutedHeads);
        aj.put("min_head_cosine", al.minHeadCosine);
        aj.put("permuted_neurons", al.permutedNeurons);
        aj.put("rescaled_neurons", al.rescaledNeurons);
        aj.put("sketch_fallbacks", al.fallbackMatches);
        aj.put("min_neuron_cosine", al.minNeuronCosine);
        aj.put("marked_weights", elements);
        aj.put("statistic", grid ? "grid " + String.join("+", gridTypes) : "residual");
        if (grid) aj.put("grid_flips", flips);
        return new Result(scores, named, threshold, aj, (System.nanoTime() - t0) / 1e9);
    }

    private static void add(double[] num, List<Mark> marks, String name, float[] d) {
        double[] part = new double[num.length];
        IntStream.range(0, num.length).parallel().forEach(k -> part[k] = marks.get(k).stream(name).dot(d, 0, d.length));
        for (int k = 0; k < num.length; k++) num[k] += part[k];
    }

    /**
     * The grid statistic's d for one matrix, or −1 when it does not apply: the suspect matrix must be stored in a
     * rounding type with ggml's rules (F16, BF16, Q8_0, Q4_0), {@code o} is the original in the suspect's own basis
     * (alignment undid at most permutations and the norm weights' column scaling:
     * {@code Alignment#originalInSuspectBasis}), and at most 0.1 % of the elements may lie more than one grid
     * step away from where the unmarked original rounds to (otherwise the copy was not rounded by ggml's rules).
     *
     * <p>For every element, q0 is the grid point (integer level in Q8_0/Q4_0 blocks) the <em>unmarked</em> weight
     * w rounds to, with the block scale the unmarked block would get, and q the suspect's stored level. A mark
     * w + ε|w|s moves an element across a rounding boundary only if it lies within ε|w| of one, and then q − q0 =
     * ±1 with the sign of s (F16, BF16, Q8_0) or of s·sign(scale) (Q4_0, whose scale carries the sign of the
     * block's largest weight). To first order in ε the block's own marked scale changes nothing: an element and
     * the block maximum move proportionally when their pattern signs agree, and by 2ε|w| in the direction of s
     * when they differ. So d_i = ±1 at every such step, 0 elsewhere; Σ d² = number of steps. d depends on the
     * suspect and the original only, so the null distribution of z is exactly that of the residual statistic.
     */
    static long gridCoefficients(float[] o, Tensor ts, float[] d) {
        DType t = ts.dtype();
        if (t != DType.F16 && t != DType.BF16 && t != DType.Q8_0 && t != DType.Q4_0) return -1;
        if (ts.size() != o.length || (t.quantized() && ts.cols() % t.blockSize() != 0)) return -1;
        // the unmarked original rounded by the same rules (Quantize is bit-identical to ggml's reference quantizers)
        MemorySegment ref = Quantize.quantize(Tensor.ofFloats("unmarked", o, ts.shape()), t).data(), m = ts.data();
        long steps = 0, far = 0;
        int n = o.length;
        for (int i = 0; i < n; i++) {
            int dq = level(m, t, i) - level(ref, t, i);
            // levels grow with the value, except for negative 16-bit floats (sign-magnitude codes) and in Q4_0 blocks
            // with a negative scale (the block's largest weight is positive)
            boolean mirrored = switch (t) {
                case F16, BF16 -> o[i] < 0;
                case Q4_0 -> Float.float16ToFloat(ref.get(Tensor.I16_LE, (long) (i / 32) * 18)) < 0;
                default -> false;
            };
            if (mirrored) dq = -dq;
            if (Math.abs(dq) == 1) {
                d[i] = dq;
                steps++;
            } else {
                d[i] = 0;
                if (dq != 0) far++;
            }
        }
        return far > n / 1000 ? -1 : steps;
    }

    /** Element i's stored level: the 16-bit code (F16, BF16) or the integer of its block (Q8_0, Q4_0). */
    private static int level(MemorySegment s, DType t, int i) {
        return switch (t) {
            case F16, BF16 -> s.get(Tensor.I16_LE, 2L * i) & 0xffff;
            case Q8_0 -> s.get(ValueLayout.JAVA_BYTE, (long) (i / 32) * 34 + 2 + i % 32);
            case Q4_0 -> {
                int j = i % 32, by = s.get(ValueLayout.JAVA_BYTE, (long) (i / 32) * 18 + 2 + (j & 15)) & 0xff;
                yield j < 16 ? (by & 0x0f) : (by >>> 4);
            }
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** Fills d for one [rows, cols] matrix; returns Σ d². */
    static double coefficients(float[] o, float[] a, int rows, int cols, float[] d) {
        double[] w = new double[rows], cn = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s2 = 0, c2 = 0;
            for (int k = r * cols, e = k + cols; k < e; k++) {
                double ov = o[k], c = ((double) a[k] - ov) * Math.abs(ov);
                s2 += ov * ov;
                c2 += c * c;
            }
            cn[r] = Math.sqrt(c2);
            w[r] = c2 > 0 && Double.isFinite(c2) ? s2 / cn[r] : 0;
        }
        double[] pos = Arrays.stream(w).filter(x -> x > 0).sorted().toArray();
        double cap = pos.length == 0 ? 0 : 10 * pos[pos.length / 2];
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            double wr = Math.min(w[r], cap);
            if (wr <= 0) {
                Arrays.fill(d, r * cols, (r + 1) * cols, 0f);
                continue;
            }
            double f = wr / cn[r];
            for (int k = r * cols, e = k + cols; k < e; k++) {
                double ov = o[k];
                double dv = ((double) a[k] - ov) * Math.abs(ov) * f;
                float df = Float.isFinite((float) dv) ? (float) dv : 0f;
                d[k] = df;
                sum += (double) df * df;
            }
        }
        return sum;
    }

    /**
     * {@code suspect} brought into {@code reference}'s basis ({@link Alignment}): the marked matrices aligned, every
     * other tensor taken from {@code reference}. What colluders do before averaging their copies (with one copy as
     * the reference); an in-memory float32 model that owns nothing.
     */
    static Model aligned(Model reference, Model suspect) {
        Alignment al = new Alignment(reference, suspect);
        Map<String, org.taylormlp.tensor.Tensor> ts = new LinkedHashMap<>(reference.tensors());
        for (int l = 0; l < reference.config().nLayers(); l++) {
            Alignment.Layer layer = al.align(l);
            for (Map.Entry<String, float[]> e : layer.aligned().entrySet()) {
                int[] sh = layer.shapes().get(e.getKey());
                String name = TensorNames.blk(l, e.getKey());
                ts.put(name, org.taylormlp.tensor.Tensor.ofFloats(name, e.getValue(), sh[0], sh[1]));
            }
        }
        return new Model(reference.source(), reference.format(), reference.config(), ts, reference.tokenizer(), reference.metadata(), List.of());
    }
}
