package org.taylormlp.app;

import org.taylormlp.runtime.ModelStore;
import org.taylormlp.runtime.TextData;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.runtime.Progress;
import org.taylormlp.runtime.Engine;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.Protector;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** The {@code demo} workflow: stories15M → calibration on self-sampled text → release → side-by-side comparison. */
public final class Demo {
    private Demo() {}

    public record Options(Path out, Path text, Integer order, String select, int threads, int calibrationTokens) {}

    static final String[] PROMPTS = {"Once upon a time", "The little dog was", "Lily and Ben went to the park"};

    public static Outcome run(Options o, PrintStream out, PrintStream log) {
        if (o.calibrationTokens() < 256) throw new TaylorMlpException("--calibration-tokens must be at least 256");
        ModelStore.Located loc = ModelStore.stories15M(log);
        out.println("== 1. model: stories15M (" + loc.origin() + ")");
        try {
            Files.createDirectories(o.out());
        } catch (IOException e) {
            throw new TaylorMlpException("cannot create " + o.out() + ": " + e.getMessage(), e);
        }
        Path release = o.out().resolve("stories15M.taylor.safetensors");
        try (Engine orig = new Engine(Engine.place(org.taylormlp.runtime.Models.load(loc.model(), loc.tokenizer()),
                org.taylormlp.model.WeightLoading.AUTO),
                org.taylormlp.tensor.KernelsProvider.create(o.threads()), 512)) {
            Tokenizer tok = orig.model().tokenizer();
            List<int[]> calib;
            if (o.text() != null) {
                calib = TextData.encode(tok, TextData.paragraphs(o.text()), o.calibrationTokens(), 512);
                out.printf("== 2. calibration: %d tokens of %s%n", TextData.tokenCount(calib), o.text());
            } else {
                calib = SelfText.sample(orig, o.calibrationTokens(), 1000);
                out.printf("== 2. calibration: %d tokens sampled from the model itself (temperature 1, seeds 1000+)%n",
                        TextData.tokenCount(calib));
            }
            CalibrationStats stats;
            try (Progress bar = Progress.start("calibrate", TextData.tokenCount(calib))) {
                stats = Calibrator.calibrate(orig.transformer(), calib, 0, 512, bar::stepTo);
            }
            int order = o.order() != null ? o.order() : Protection.DEFAULT_ORDER;
            String rule = o.select() != null ? o.select() : Protection.DEFAULT_RULE;
            Protection.Result r = Protection.run(orig.model(), orig.transformer().weightBytesPerToken(), stats, rule, order,
                    null, Protection.defaultOptions(orig.model().config().activation()), release, null);
            out.println("== 3. protect");
            out.print(r.text(false).indent(3));

            try (Engine rel = Engine.open(release, null, o.threads(), 512)) {
                out.println("== 4. original vs release (greedy, 48 tokens)");
                int same = 0;
                for (String p : PROMPTS) {
                    int[] ids = tok.encode(p, true);
                    int[] a = new Generator(orig.transformer(), tok).generate(ids, 48, Sampler.greedy(), null).tokens();
                    int[] b = new Generator(rel.transformer(), tok).generate(ids, 48, Sampler.greedy(), null).tokens();
                    boolean eq = Arrays.equals(a, b);
                    if (eq) same++;
                    out.println("   prompt:   " + p);
                    out.println("   original: " + oneLine(tok.decode(a)));
                    out.println("   release:  " + oneLine(tok.decode(b)) + (eq ? "   [identical]" : "   [differs at token " + Arrays.mismatch(a, b) + "]"));
                }
                List<int[]> held = SelfText.sample(orig, 2048, 5000);
                writeText(held, tok, o.out().resolve(SAMPLED_TEXT));
                Fidelity.TeacherForced tf = Fidelity.teacherForced(orig.transformer(), rel.transformer(), held, null);
                out.printf("   greedy continuations identical: %d/%d; teacher-forced agreement on %d fresh sampled tokens: %.4f%n",
                        same, PROMPTS.length, tf.positions(), tf.agreement());
                out.println("== 5. speed (decode, 128 tokens each, one process, alternating)");
                double[] ta = new double[3], tb = new double[3];
                int[] prompt = {tok.bosId()};
                for (int i = 0; i < 3; i++) {
                    ta[i] = new Generator(orig.transformer(), tok).generate(prompt, 128, Sampler.greedy(), null).decodeTokensPerSecond();
                    tb[i] = new Generator(rel.transformer(), tok).generate(prompt, 128, Sampler.greedy(), null).decodeTokensPerSecond();
                }
                double sa = median(ta), sb = median(tb);
                out.printf("   original %.1f tok/s, release %.1f tok/s: measured slowdown %.2fx (predicted from bytes read: %.2fx)%n",
                        sa, sb, sa / sb, r.predictedSlowdown());
            }
        }
        out.println("   text the model sampled (not used for calibration): " + o.out().resolve(SAMPLED_TEXT));
        return new Outcome(release, loc);
    }

    /** The held-out text the demo samples (seeds 5000+), one paragraph per sequence: input for eval, calibrate, audit. */
    public static final String SAMPLED_TEXT = "sampled-text.txt";

    private static void writeText(List<int[]> seqs, org.taylormlp.tokenizer.Tokenizer tok, java.nio.file.Path file) {
        StringBuilder sb = new StringBuilder();
        for (int[] seq : seqs) {
            String p = tok.decode(seq).strip().replaceAll("\\n\\s*\\n", "\n");
            if (!p.isEmpty()) sb.append(p).append("\n\n");
        }
        try {
            java.nio.file.Files.writeString(file, sb.toString());
        } catch (java.io.IOException e) {
            throw new org.taylormlp.TaylorMlpException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** What the demo produced, for the audit step that follows it. */
    public record Outcome(Path release, ModelStore.Located original) {}

    private static String oneLine(String s) {
        String t = s.replace('\n', ' ').strip();
        return t.length() > 160 ? t.substring(0, 157) + "..." : t;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
