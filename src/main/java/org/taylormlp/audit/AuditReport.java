package org.taylormlp.audit;

import org.taylormlp.eval.Fidelity;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;

import java.nio.file.Path;
import java.util.List;

/**
 * The result of {@code taylormlp audit}, attack by attack. {@link AuditJson} writes it as report.json and
 * {@link AuditMarkdown} as report.md; the attacks compute the figures and never format them.
 *
 * @param original     the original checkpoint used to score, or null
 * @param thetaRoundoff unit roundoff of the release's stored coefficients
 * @param attacks      in the order they ran
 */
public record AuditReport(Path release, ReleaseReader.Info releaseInfo, double thetaRoundoff, Path original,
                          String textSource, long textTokens, int threads, String toolVersion, String date,
                          double totalSeconds, Audit.Headline headline, List<Section> attacks) {

    /** The figures of one attack; each attack returns its own kind. */
    public sealed interface AttackResult permits ZeroQuery, Regression, Speedup, Learning {}

    /**
     * One attack's section.
     *
     * @param result null when the attack failed
     * @param error  the failure's message, or null
     */
    public record Section(String id, String title, AttackResult result, String error, double wallSeconds) {}

    // ---- attack 1 ----

    /**
     * Zero-query algebraic recovery.
     *
     * @param scored    whether an original was given (the *Error, cosine and count fields are then set)
     * @param maxGatedBiasInconsistency only meaningful for gated MLPs ({@code gated})
     */
    public record ZeroQuery(String mode, String modeDescription, int order, ModelConfig.Activation activation, boolean gated, boolean scored,
                            double seconds, double tolerance, long neuronsProtected, long neuronsSolved,
                            long neuronsSelfChecked, long signAmbiguous, double maxRank1Residual, double maxFitResidual,
                            double maxGatedBiasInconsistency, double relativeError, double downRelativeError,
                            double inRelativeError, double cosineDown, long neuronsRecovered, long signErrors,
                            long duplicateMatches, double fractionNeuronsRecovered, String fractionBasis,
                            List<ZeroQueryLayer> layers) implements AttackResult {}

    /**
     * One layer of the zero-query recovery.
     *
     * @param score null without an original
     */
    public record ZeroQueryLayer(int layer, int protectedNeurons, int solved, int selfChecked, double maxRank1Residual,
                                 double maxFitResidual, double maxGatedBiasInconsistency,
                                 List<UnsureNeuron> neuronsFailingSelfCheck, LayerScore score) {}

    /** Scores of one layer against the original; null fields of {@link ZeroQueryLayer} when it protects nothing. */
    public record LayerScore(double downRelativeError, double inRelativeError, double relativeError, double cosineDown,
                             int neuronsRecovered, double medianNeuronError, double maxNeuronError,
                             List<BadNeuron> neuronsNotRecovered) {}

    /** A protected neuron whose solve did not pass the self-check (at most 20 per layer are listed). */
    public record UnsureNeuron(int protectedIndex, boolean ok, double z0, double r, float storedBias, double fitResidual,
                               double rank1Residual, String method) {}

    /** A protected neuron not recovered to tolerance against the original (at most 20 per layer are listed). */
    public record BadNeuron(int protectedIndex, int originalIndex, double error, double z0, double r, double fitResidual,
                            double rank1Residual, String method) {}

    // ---- attack 2 ----

    /**
     * Regression on recorded activations.
     *
     * @param tokensNeeded null when no T of the sweep reached {@code tolerance}
     */
    public record Regression(boolean scored, String textSource, double tolerance, int tokensRecorded,
                             double recordSeconds, double seconds, Integer tokensNeeded, List<RegressionLayer> layers,
                             List<SweepPoint> sweep) implements AttackResult {}

    public record RegressionLayer(int layer, int protectedNeurons, List<LayerSweepPoint> sweep) {}

    /**
     * One T of one layer's sweep.
     *
     * @param error null unless the normal equations could not be solved (the other figures are then unset)
     * @param relativeErrorVsOriginal NaN without an original
     */
    public record LayerSweepPoint(int tokens, String error, double relativeErrorVsZeroQuery,
                                  double relativeErrorVsOriginal, double ridge) {}

    /** @param relativeErrorVsOriginal NaN without an original */
    public record SweepPoint(int tokens, double relativeErrorVsZeroQuery, double relativeErrorVsOriginal) {}

    // ---- attack 3 ----

    /**
     * The recovered checkpoint, reopened, compared and timed.
     *
     * @param recoveredConfig  null when the configurations match
     * @param greedyTokens     tokens per greedy prompt
     * @param greedyIdentical  prompts on which the recovered model's greedy continuation equals the reference's
     *                         (the original, or the release when no original is given)
     * @param greedyIdenticalRelease with an original: prompts on which the release equals the original; else -1
     * @param tfRelease        with an original: the release vs the original; else null
     * @param releaseSeconds best decode time of the release over {@code decodeTokens} tokens (likewise the others)
     * @param originalSeconds NaN without an original
     */
    public record Speedup(Path recoveredModel, double writeSeconds, boolean configMatchesRelease, String recoveredConfig,
                          String releaseConfig, boolean hasOriginal, int greedyPrompts, int greedyTokens,
                          int greedyIdentical, int greedyIdenticalRelease, Fidelity.TeacherForced tfRecovered,
                          Fidelity.TeacherForced tfRelease, int decodeTokens, int threads,
                          double releaseSeconds, double recoveredSeconds, double originalSeconds,
                          long releaseWeightBytesPerToken, long recoveredWeightBytesPerToken) implements AttackResult {
        public double speedup() { return releaseSeconds / recoveredSeconds; }

        public double weightBytesRatio() { return (double) releaseWeightBytesPerToken / recoveredWeightBytesPerToken; }

        public boolean greedyAllIdentical() { return greedyIdentical == greedyPrompts; }
    }

    // ---- attack 4 ----

    /**
     * The learning-based imitation attack.
     *
     * @param reference "original" or "release"
     * @param baseline  with an original: the release itself vs the original; else null
     */
    public record Learning(String textSource, String reference, boolean gated, int poolTokens, int heldOutTokens,
                           boolean heldOutOverlapsPool, int steps, int batch, double seconds, List<Budget> budgets,
                           Fidelity.TeacherForced baseline) implements AttackResult {}

    /** @param heldOutRelativeMse per trained layer, in layer order */
    public record Budget(double fraction, int tokens, Fidelity.TeacherForced fidelity, List<LayerMse> heldOutRelativeMse) {
        public double meanHeldOutRelativeMse() {
            double s = 0;
            for (LayerMse e : heldOutRelativeMse) s += e.value();
            return heldOutRelativeMse.isEmpty() ? 0 : s / heldOutRelativeMse.size();
        }
    }

    public record LayerMse(int layer, double value) {}
}
