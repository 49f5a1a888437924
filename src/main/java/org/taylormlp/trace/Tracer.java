package org.taylormlp.trace;

import org.taylormlp.model.Model;
import org.taylormlp.model.TensorNames;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Scores a suspect model against recipients' marks.
 *
 * <p>After {@link Alignment}, every element i of every marked matrix gives a residual r_i = suspect_i − original_i
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
        double[] num = new double[nr];
        double norm2 = 0;
        long elements = 0;
        for (int l = 0; l < original.config().nLayers(); l++) {
            Alignment.Layer layer = al.align(l);
            for (Map.Entry<String, float[]> e : layer.original().entrySet()) {
                String suffix = e.getKey();
                float[] o = e.getValue(), a = layer.aligned().get(suffix);
                int[] sh = layer.shapes().get(suffix);
                float[] d = new float[o.length];
                norm2 += coefficients(o, a, sh[0], sh[1], d);
                elements += o.length;
                String name = TensorNames.blk(l, suffix);
                double[] part = new double[nr];
                IntStream.range(0, nr).parallel().forEach(k -> part[k] = marks.get(k).stream(name).dot(d, 0, d.length));
                for (int k = 0; k < nr; k++) num[k] += part[k];
            }
        }
        double den = Math.sqrt(norm2);
        List<Score> scores = new ArrayList<>();
        for (int k = 0; k < nr; k++) scores.add(new Score(marks.get(k).recipient(), den > 0 ? num[k] / den : 0));
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
        return new Result(scores, named, threshold, aj, (System.nanoTime() - t0) / 1e9);
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
