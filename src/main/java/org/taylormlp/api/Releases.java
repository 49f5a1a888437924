package org.taylormlp.api;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.runtime.TextData;
import org.taylormlp.audit.Audit;
import org.taylormlp.audit.AuditOptions;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protection;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Turning a model into a TaylorMLP release, and auditing what an attacker recovers from one. */
public final class Releases {
    private Releases() {}

    /**
     * How to protect: calibrate on {@code calibrationText} (UTF-8 files, paragraphs as sequences), or when it is
     * empty on {@code selfTextTokens} tokens the model samples itself; select neurons by {@code rule}
     * ({@code radius:M}, {@code paper:K} or {@code paper:P%}) and expand to order {@code order}.
     */
    public record ProtectOptions(List<Path> calibrationText, int selfTextTokens, String rule, int order, int threads) {
        public ProtectOptions {
            calibrationText = calibrationText == null ? List.of() : List.copyOf(calibrationText);
            Objects.requireNonNull(rule, "rule");
            if (calibrationText.isEmpty() && selfTextTokens < 256) {
                throw new IllegalArgumentException("selfTextTokens must be >= 256 when no calibration text is given");
            }
            if (order < 0) throw new IllegalArgumentException("order must be >= 0, got " + order);
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }

        /** The defaults of {@code taylormlp protect}, calibrated on 8,192 self-sampled tokens. */
        public static ProtectOptions defaults() {
            return new ProtectOptions(List.of(), 8192, Protection.DEFAULT_RULE, Protection.DEFAULT_ORDER,
                    Math.max(1, Runtime.getRuntime().availableProcessors()));
        }

        public ProtectOptions withOrder(int n) { return new ProtectOptions(calibrationText, selfTextTokens, rule, n, threads); }
        public ProtectOptions withRule(String r) { return new ProtectOptions(calibrationText, selfTextTokens, r, order, threads); }
        public ProtectOptions withCalibrationText(List<Path> files) { return new ProtectOptions(files, selfTextTokens, rule, order, threads); }
        public ProtectOptions withThreads(int t) { return new ProtectOptions(calibrationText, selfTextTokens, rule, order, t); }
    }

    /** What {@link #protect} wrote. */
    public record ProtectReport(Path release, long bytes, long protectedNeurons, long totalNeurons, int order,
                                double fractionParamsInClear, double predictedSlowdown, long calibrationTokens) {}

    /**
     * Calibrates {@code model} and writes a release to {@code out} (atomically).
     *
     * @param tokenizer tokenizer.bin for a llama2.c checkpoint without one beside it, else null
     */
    public static ProtectReport protect(Path model, Path tokenizer, Path out, ProtectOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(options, "options");
        try (Engine e = Engine.open(model, tokenizer, options.threads(), 512, WeightLoading.MMAP)) {
            int ctx = e.transformer().maxContext();
            List<int[]> seqs = options.calibrationText().isEmpty()
                    ? SelfText.sample(e, options.selfTextTokens(), 1000)
                    : TextData.encode(e.model().tokenizer(), paragraphs(options.calibrationText()), 20_000, ctx);
            CalibrationStats stats = Calibrator.calibrate(e.transformer(), seqs, 0, ctx, null);
            Protection.Result r = Protection.run(e.model(), e.transformer().weightBytesPerToken(), stats, options.rule(),
                    options.order(), null, Protection.defaultOptions(e.model().config().activation()), out, null);
            var s = r.summary();
            return new ProtectReport(s.file(), s.bytes(), s.protectedNeurons(), s.totalNeurons(), r.plan().order(),
                    s.fractionParamsInClear(), r.predictedSlowdown(), TextData.tokenCount(seqs));
        }
    }

    private static List<String> paragraphs(List<Path> files) {
        List<String> p = new java.util.ArrayList<>();
        for (Path f : files) p.addAll(TextData.paragraphs(f));
        return p;
    }

    /** The attacks {@link #audit} can run; {@code zero_query} always runs (the others build on it). */
    public static final Set<String> ALL_ATTACKS = Set.of("zero_query", "regression", "speedup", "learning");

    /**
     * What the audit found: the relative error of the weights recovered without any query, the fraction of
     * protected neurons recovered, whether the recovered checkpoint's greedy tokens equal the original's (null
     * without an original or when the speed-up attack did not run), where the recovered checkpoint and the
     * reports were written.
     */
    public record AuditReport(double recoveredRelativeError, double fractionNeuronsRecovered, Boolean recoveredGreedyIdentical,
                              Path recoveredModel, Path reportJson, Path reportMarkdown) {}

    /**
     * Runs the attacks named in {@code attacks} (see {@link #ALL_ATTACKS}) on {@code release}; {@code original}
     * (or null) is used only to score them.
     */
    public static AuditReport audit(Path release, Path original, Path outDir, Set<String> attacks, int threads) {
        Objects.requireNonNull(release, "release");
        Objects.requireNonNull(outDir, "outDir");
        Set<String> a = new LinkedHashSet<>(attacks == null ? ALL_ATTACKS : attacks);
        for (String x : a) {
            if (!ALL_ATTACKS.contains(x)) throw new IllegalArgumentException("unknown attack " + x + "; known: " + ALL_ATTACKS);
        }
        a.add("zero_query");
        AuditOptions d = AuditOptions.defaults();
        AuditOptions opt = new AuditOptions(d.regressionTokens(), d.learnBudgets(), d.learnPoolTokens(), d.learnSteps(),
                d.learnBatch(), d.evalTokens(), d.greedyPrompts(), d.greedyTokens(), d.speedTokens(), d.sampleTokens(), a, d.seed());
        Audit.Result r = Audit.run(release, original, null, null, outDir, threads, opt, null);
        Audit.Headline h = r.headline();
        if (h.recoveredRelativeError() == null || h.fractionNeuronsRecovered() == null) {
            throw new TaylorMlpException("audit report " + r.reportJson() + " lacks the zero-query figures");
        }
        return new AuditReport(h.recoveredRelativeError(), h.fractionNeuronsRecovered(), h.recoveredGreedyIdentical(),
                h.recoveredModel() == null ? null : Path.of(h.recoveredModel()), r.reportJson(), r.reportMd());
    }
}
