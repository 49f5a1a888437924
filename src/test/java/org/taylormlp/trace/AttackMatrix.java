package org.taylormlp.trace;

import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.model.Model;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.Selection;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.KernelsProvider;
import org.taylormlp.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attack suite of a fingerprinted release, run end to end on one model: the owner marks and protects releases for
 * two of 16 recipients, the attacks (a)-(f) derive suspects from them, and each suspect is traced against all 16.
 */
final class AttackMatrix {
    static final byte[] SECRET = new byte[32];

    static {
        for (int i = 0; i < 32; i++) SECRET[i] = (byte) (31 * i + 7);
    }

    static final List<String> RECIPIENTS = new ArrayList<>();

    static {
        for (int i = 0; i < 16; i++) RECIPIENTS.add(String.format("recipient-%02d", i));
    }

    static final String SOURCE = "recipient-03", COLLUDER = "recipient-11";

    /** One traced suspect. */
    record Row(String attack, List<String> sources, Tracer.Result result) {
        double minSourceZ() {
            return sources.stream().mapToDouble(result::z).min().orElse(Double.NaN);
        }

        double maxOtherZ() {
            return result.scores().stream().filter(s -> !sources.contains(s.id())).mapToDouble(Tracer.Score::z).max().orElse(Double.NaN);
        }

        String line() {
            return String.format("| %s | %s | %.1f | %.2f | %s | %s | %.1f s |", attack, String.join("+", sources),
                    minSourceZ(), maxOtherZ(), result.verdict(), result.aligned().get("statistic") + (result.aligned().containsKey("grid_flips") ? " (" + result.aligned().get("grid_flips") + " steps)" : ""), result.seconds());
        }
    }

    final List<Row> rows = new ArrayList<>();
    final Map<String, Object> notes = new LinkedHashMap<>();

    /**
     * @param orig     the original, opened
     * @param rule     selection rule, order: the release preset
     * @param calibTokens tokens of self-sampled calibration text
     */
    void run(Engine orig, String rule, int order, int calibTokens, double strength, Path dir) throws Exception {
        Model om = orig.model();
        var act = om.config().activation();
        List<int[]> calib = SelfText.sample(orig, calibTokens, 100);
        CalibrationStats stats = Calibrator.calibrate(orig.transformer(), calib, 0, orig.transformer().maxContext(), null);
        Selection.Plan plan = Selection.select(rule, stats, act, order);
        Protector.Options po = Protection.defaultOptions(act);
        Path relA = dir.resolve("a.safetensors"), relB = dir.resolve("b.safetensors");
        long t0 = System.nanoTime();
        Protector.protect(Mark.of(SECRET, SOURCE).apply(om, strength), plan, po, relA, null);
        notes.put("protect_seconds", (System.nanoTime() - t0) / 1e9);
        Protector.protect(Mark.of(SECRET, COLLUDER).apply(om, strength), plan, po, relB, null);
        notes.put("protected_neurons", plan.protectedNeurons());

        List<String> src = List.of(SOURCE);
        try (Suspect a = Suspect.open(relA, null); Suspect b = Suspect.open(relB, null)) {
            rows.add(new Row("(a) release as issued", src, Tracer.trace(om, a.model(), SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
            Model rec = a.model();
            // (b) the recovered checkpoint, written as a GGUF file as audit does and loaded back
            Path recPath = dir.resolve("recovered.gguf");
            ModelWriters.writeGguf(rec, DType.F32, recPath);
            try (Suspect s = Suspect.open(recPath, null)) {
                rows.add(new Row("(b) recovered by audit", src, Tracer.trace(om, s.model(), SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
                Tracer.Result nul = Tracer.trace(om, s.model(), SECRET, randomIds(100), Tracer.DEFAULT_THRESHOLD);
                double[] z = nul.scores().stream().mapToDouble(Tracer.Score::z).toArray();
                notes.put("null_mean", Arrays.stream(z).average().orElseThrow());
                notes.put("null_sd", sd(z));
                notes.put("null_max_abs", Arrays.stream(z).map(Math::abs).max().orElseThrow());
            }
            // (c) conversions
            for (DType t : new DType[]{DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0}) {
                Path p = dir.resolve("recovered-" + t + ".gguf");
                ModelWriters.writeGguf(rec, t, p);
                try (Suspect s = Suspect.open(p, null)) {
                    rows.add(new Row("(c) recovered, " + t, src, Tracer.trace(om, s.model(), SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
                }
                java.nio.file.Files.delete(p);
            }
            // (d) re-based: function unchanged
            Model reb = Rebase.apply(rec, 0xd0d0);
            int[][] g1 = greedy(rec, orig), g2 = greedy(reb, orig);
            int same = 0;
            for (int i = 0; i < g1.length; i++) if (Arrays.equals(g1[i], g2[i])) same++;
            notes.put("rebased_greedy_identical", same + "/" + g1.length);
            assertThat(same).as("re-based model's greedy tokens equal the recovered model's").isEqualTo(g1.length);
            rows.add(new Row("(d) recovered, re-based", src, Tracer.trace(om, reb, SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
            // (e) collusion: B aligned onto A, then averaged
            Model bAligned = Tracer.aligned(rec, b.model());
            Model avg = average(rec, bAligned);
            rows.add(new Row("(e) average of two recovered copies", List.of(SOURCE, COLLUDER),
                    Tracer.trace(om, avg, SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
            // (f) Gaussian noise of 10x the mark
            rows.add(new Row("(f) recovered + noise 10x mark", src, Tracer.trace(om, noisy(rec, 10 * strength, 0xf00d), SECRET, RECIPIENTS,
                    Tracer.DEFAULT_THRESHOLD)));
        }
        addUnmarked(om, dir);
    }

    /** (g) false positives: the unmarked original, and its Q8_0 copy. */
    void addUnmarked(Model om, Path dir) throws Exception {
        rows.add(new Row("(g) unmarked original", List.of(), Tracer.trace(om, om, SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
        Path q = dir.resolve("orig-q8.gguf");
        ModelWriters.writeGguf(om, DType.Q8_0, q);
        try (Suspect s = Suspect.open(q, null)) {
            rows.add(new Row("(g) unmarked original, Q8_0", List.of(), Tracer.trace(om, s.model(), SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD)));
        }
    }

    /**
     * (g) the 100 "releases for other recipients": marked copies for 100 IDs outside the list, traced against the 16.
     * The release's marked weights are exactly these (mark, then the Taylor expansion, which (a)/(b) show the
     * recovery inverts), so the release writing is left out. Returns the largest z of any listed recipient.
     */
    double otherRecipients(Model om, double strength, int n) {
        double max = Double.NEGATIVE_INFINITY;
        int verdicts = 0;
        for (int i = 0; i < n; i++) {
            Model other = Mark.of(SECRET, "other-" + i).apply(om, strength);
            Tracer.Result r = Tracer.trace(om, other, SECRET, RECIPIENTS, Tracer.DEFAULT_THRESHOLD);
            if (r.verdict() != null) verdicts++;
            for (Tracer.Score s : r.scores()) max = Math.max(max, s.z());
        }
        notes.put("other_recipients", n);
        notes.put("other_recipients_false_verdicts", verdicts);
        notes.put("other_recipients_max_z", max);
        return verdicts == 0 ? max : Double.POSITIVE_INFINITY;
    }

    void assertTargets() {
        for (Row r : rows) {
            if (r.sources().isEmpty()) {
                assertThat(r.result().verdict()).as(r.attack()).isNull();
            } else {
                assertThat(r.minSourceZ()).as(r.attack() + ": z of the source").isGreaterThanOrEqualTo(10);
                assertThat(r.result().named()).as(r.attack() + ": named").containsExactlyInAnyOrderElementsOf(r.sources());
            }
            assertThat(r.maxOtherZ()).as(r.attack() + ": max z of the others").isLessThan(5);
        }
        double mean = (double) notes.get("null_mean"), sd = (double) notes.get("null_sd");
        assertThat(mean).as("null mean").isBetween(-0.35, 0.35);
        assertThat(sd).as("null sd").isBetween(0.75, 1.3);
    }

    String table(String title) {
        StringBuilder sb = new StringBuilder("### " + title + "\n| attack | source | z (source, min) | max z (others) | verdict | statistic | trace time |\n|---|---|---|---|---|---|---|\n");
        for (Row r : rows) sb.append(r.line()).append('\n');
        sb.append(notes).append('\n');
        return sb.toString();
    }

    static List<String> randomIds(int n) {
        SplittableRandom rnd = new SplittableRandom(42);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add(Long.toHexString(rnd.nextLong()));
        return ids;
    }

    static double sd(double[] z) {
        double m = Arrays.stream(z).average().orElseThrow(), s = 0;
        for (double v : z) s += (v - m) * (v - m);
        return Math.sqrt(s / (z.length - 1));
    }

    static int[][] greedy(Model m, Engine like) {
        Engine e = new Engine(m, KernelsProvider.create(1), 256);
        var tok = m.tokenizer();
        int[][] out = new int[4][];
        for (int p = 0; p < out.length; p++) {
            int[] prompt = {tok.bosId(), 1 + 37 * p % (m.config().vocabSize() - 1)};
            out[p] = new Generator(e.transformer(), tok).generate(prompt, 24, Sampler.greedy(), null).tokens();
        }
        return out;
    }

    /** Marked tensors averaged element-wise (everything else from a). */
    static Model average(Model a, Model b) {
        Map<String, Tensor> ts = new LinkedHashMap<>(a.tensors());
        for (String n : a.tensors().keySet()) {
            if (!Mark.isMarked(n)) continue;
            float[] x = a.require(n).toFloats(), y = b.require(n).toFloats();
            for (int i = 0; i < x.length; i++) x[i] = (x[i] + y[i]) / 2;
            ts.put(n, Tensor.ofFloats(n, x, a.require(n).shape()));
        }
        return new Model(a.source(), a.format(), a.config(), ts, a.tokenizer(), a.metadata(), List.of());
    }

    /** Every marked weight w gets Gaussian noise of standard deviation rel·|w|. */
    static Model noisy(Model a, double rel, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Tensor> ts = new LinkedHashMap<>(a.tensors());
        for (String n : a.tensors().keySet()) {
            if (!Mark.isMarked(n)) continue;
            float[] x = a.require(n).toFloats();
            for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] + rel * Math.abs(x[i]) * Rebase.gauss(rnd));
            ts.put(n, Tensor.ofFloats(n, x, a.require(n).shape()));
        }
        return new Model(a.source(), a.format(), a.config(), ts, a.tokenizer(), a.metadata(), List.of());
    }
}
