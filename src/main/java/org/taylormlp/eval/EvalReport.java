package org.taylormlp.eval;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The result of {@code taylormlp eval}, section by section. {@link ReportJson} writes it as report.json (and reads it
 * back from checkpoints), {@link ReportMarkdown} as report.md, {@link ReportTerminal} as the lines printed at the end.
 * Figures that are functions of others (the summary over all --data files, slowdowns as ratios of speeds) are methods,
 * not stored values.
 *
 * @param releaseInfo    null when the release carries no TaylorMLP metadata (any model with the same vocabulary)
 * @param greedy         null when no greedy continuations were run
 * @param tasks          by task name, in the order they were run
 * @param speed          null when speed was not measured ({@code --speed-reps 0})
 * @param sweep          empty without {@code --orders}
 * @param sweepSelection the sweep's selection rules joined by ", "; null without {@code --orders}
 * @param plots          the PNG files written beside the report
 */
public record EvalReport(String tool, String original, String release, ReleaseInfo releaseInfo, int window, int threads,
                         List<TextFidelity> data, Greedy greedy, Map<String, TaskResult> tasks, SpeedResult speed,
                         List<SweepPoint> sweep, String sweepSelection, String machineLoadStart, String machineLoadEnd,
                         int cores, List<String> plots) {

    public EvalReport withPlots(List<String> files) {
        return new EvalReport(tool, original, release, releaseInfo, window, threads, data, greedy, tasks, speed, sweep,
                sweepSelection, machineLoadStart, machineLoadEnd, cores, List.copyOf(files));
    }

    /** What the release's metadata says about it. */
    public record ReleaseInfo(int order, String selection, double fractionMlpParamsInClear, long protectedNeurons, long totalNeurons) {}

    /** Teacher-forced comparison of the two models on one token stream (see {@link Fidelity.TeacherForced}). */
    public record Scores(long positions, double agreement, double klMean, double klMax, double maxAbsLogitDiff,
                         double nllOriginal, double nllRelease, double perplexityOriginal, double perplexityRelease) {
        public static Scores of(Fidelity.TeacherForced tf) {
            return new Scores(tf.positions(), tf.agreement(), tf.klMean(), tf.klMax(), tf.maxAbsLogit(), tf.nllOriginal(),
                    tf.nllRelease(), tf.perplexityOriginal(), tf.perplexityRelease());
        }
    }

    /** Fidelity on one --data file's held-out paragraphs; {@code taylorInputs} is null when the release protects nothing. */
    public record TextFidelity(String file, int paragraphsTotal, int paragraphsSkipped, String skipReason, int streamTokens,
                               int windows, Scores scores, TaylorInputs taylorInputs) {
        public String fileName() {
            return String.valueOf(Path.of(file).getFileName());
        }
    }

    /** The normalised Taylor inputs t = (g − z0)/r seen on the text: |t| ≤ 1 is the calibrated range. */
    public record TaylorInputs(long values, double fractionOutsideCalibratedRange, double fractionBeyondTwiceTheRange, double maxAbsT) {}

    /**
     * The figures over all --data files: positions-weighted means and maxima; perplexity is the first file's
     * (perplexity pooled over different texts means little).
     */
    public record Aggregate(double agreement, double klMean, double klMax, double maxAbsLogitDiff, double perplexityOriginal,
                            double perplexityRelease, String perplexityFile) {}

    /** Greedy continuations; {@code firstDivergence} holds -1 for an identical continuation. */
    public record Greedy(int prompts, int promptTokens, int tokens, int identical, List<Integer> firstDivergence) {
        public double matchRate() {
            return prompts == 0 ? Double.NaN : (double) identical / prompts;
        }
    }

    /** One task's answers by both models. */
    public sealed interface TaskResult permits ChoiceTask, GenerationTask {
        int items();
        double accuracyOriginal();
        double accuracyRelease();
        double agreement();
    }

    /** A multiple-choice task; {@code subjects} (by MMLU subject) is null for the other tasks. */
    public record ChoiceTask(int items, double accuracyOriginal, double accuracyRelease, double agreement, double chance,
                             List<Prediction> predictions, Map<String, SubjectScore> subjects) implements TaskResult {}

    /** Choice indices of one multiple-choice item. */
    public record Prediction(String id, int gold, int original, int release) {}

    public record SubjectScore(int items, double accuracyOriginal, double accuracyRelease, double agreement) {}

    /** GSM8K: answers extracted from greedy generations. */
    public record GenerationTask(int items, double accuracyOriginal, double accuracyRelease, double agreement,
                                 double identicalTextRate, int maxNewTokens, List<Answer> answers) implements TaskResult {}

    /** The numbers of one GSM8K item; null where a model generated no number. */
    public record Answer(String id, String gold, String original, String release) {}

    /** Tokens per second over the repetitions: median, mean, standard deviation and the best repetition. */
    public record Tps(double median, double mean, double sd, double best) {}

    /**
     * Speed of both models, measured in alternation. Slowdowns compare the best repetitions (the least disturbed by
     * other load on the machine); the ratio of medians is kept beside them.
     */
    public record SpeedResult(int promptTokens, int genTokens, int repetitions, Tps prefillOriginal, Tps prefillRelease,
                              Tps decodeOriginal, Tps decodeRelease, long weightBytesPerTokenOriginal,
                              long weightBytesPerTokenRelease) {
        public double slowdownDecode() { return decodeOriginal.best() / decodeRelease.best(); }
        public double slowdownPrefill() { return prefillOriginal.best() / prefillRelease.best(); }
        public double slowdownDecodeMedian() { return decodeOriginal.median() / decodeRelease.median(); }
        public double slowdownPrefillMedian() { return prefillOriginal.median() / prefillRelease.median(); }
        public double slowdownPredictedBytes() { return (double) weightBytesPerTokenRelease / weightBytesPerTokenOriginal; }
    }

    /** One point of the sweep over N: a release re-protected with {@code order} and {@code selection}. */
    public record SweepPoint(int order, String selection, long protectedNeurons, long totalNeurons, long releaseBytes,
                             double slowdownPredictedCostModel, Scores scores, SpeedResult speed) {
        public double slowdown() { return speed == null ? Double.NaN : speed.slowdownDecode(); }
        public double slowdownPrefill() { return speed == null ? Double.NaN : speed.slowdownPrefill(); }
        /** Predicted from the weight bytes per token when speed was measured, else from the cost model. */
        public double slowdownPredicted() { return speed == null ? slowdownPredictedCostModel : speed.slowdownPredictedBytes(); }
    }

    /** Over all --data files; null when no position was scored. */
    public Aggregate aggregate() {
        long pos = 0;
        double agree = 0, kl = 0, klMax = 0, maxAbs = 0;
        for (TextFidelity d : data) {
            Scores s = d.scores();
            long p = s.positions();
            pos += p;
            agree += p * s.agreement();
            kl += p * s.klMean();
            klMax = Math.max(klMax, s.klMax());
            maxAbs = Math.max(maxAbs, s.maxAbsLogitDiff());
        }
        if (pos == 0) return null;
        TextFidelity first = data.get(0);
        return new Aggregate(agree / pos, kl / pos, klMax, maxAbs, first.scores().perplexityOriginal(),
                first.scores().perplexityRelease(), first.file());
    }

    public double greedyMatchRate() { return greedy == null ? Double.NaN : greedy.matchRate(); }

    /** The decode slowdown (best to best); NaN when speed was not measured. */
    public double slowdown() { return speed == null ? Double.NaN : speed.slowdownDecode(); }

    public double slowdownPredicted() { return speed == null ? Double.NaN : speed.slowdownPredictedBytes(); }

    /** The headline figures, NaN where not measured. */
    public Summary summary() {
        Aggregate a = aggregate();
        return a == null ? new Summary(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, greedyMatchRate(), slowdown())
                : new Summary(a.agreement(), a.klMean(), a.klMax(), a.maxAbsLogitDiff(), a.perplexityOriginal(),
                a.perplexityRelease(), greedyMatchRate(), slowdown());
    }

    /** The headline figures of a report (NaN = not measured). */
    public record Summary(double agreement, double klMean, double klMax, double maxAbsLogitDiff, double perplexityOriginal,
                          double perplexityRelease, double greedyMatchRate, double slowdown) {}
}
