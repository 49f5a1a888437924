package org.taylormlp.audit;

import org.taylormlp.eval.Fidelity;

import java.util.Locale;
import java.util.Map;

/** Writes an {@link AuditReport} as report.md. */
public final class AuditMarkdown {
    private AuditMarkdown() {}

    /** report.md's text. */
    public static String write(AuditReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("# TaylorMLP release audit\n\n");
        sb.append("Release: `").append(r.release()).append("`");
        sb.append(r.original() != null ? "; original (used only to score): `" + r.original() + "`" : "; no original given (self-checks only)");
        sb.append("\n\nPublic text: ").append(r.textSource()).append(String.format(Locale.ROOT, ", %d tokens.%n%n", r.textTokens()));
        sb.append("**What an attacker gets from this release:**\n\n| key | value |\n|---|---|\n");
        for (Map.Entry<String, Object> e : AuditJson.headline(r.headline()).entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (v == null && (k.equals("recovered_relative_error") || k.equals("recovered_greedy_identical"))) continue;
            sb.append("| `").append(k).append("` | ").append(v == null ? "n/a" : String.valueOf(v)).append(" |\n");
        }
        sb.append('\n');
        for (AuditReport.Section s : r.attacks()) {
            String section = switch (s.result()) {
                case null -> "**Failed:** " + s.error() + "\n";
                case AuditReport.ZeroQuery z -> zeroQuery(z);
                case AuditReport.Regression g -> regression(g);
                case AuditReport.Speedup p -> speedup(p);
                case AuditReport.Learning l -> learning(l);
            };
            sb.append("## ").append(s.title()).append(String.format(Locale.ROOT, " (%.1f s)%n%n", s.wallSeconds())).append(section).append('\n');
        }
        return sb.toString();
    }

    private static String zeroQuery(AuditReport.ZeroQuery z) {
        boolean scored = z.scored();
        StringBuilder head = new StringBuilder();
        head.append(String.format(Locale.ROOT, "Solved %d of %d protected neurons in %.2f s with no query to the model. ",
                z.neuronsSolved(), z.neuronsProtected(), z.seconds()));
        if (scored) {
            head.append(String.format(Locale.ROOT, "Against the original: relative Frobenius error **%.3g** over all protected weights "
                            + "(W_down columns %.3g, gate/fc1 rows %.3g), cosine %.12f; **%d of %d** neurons (%.2f %%) within %.1e; "
                            + "%d sign errors, %d duplicate matches.%n%n",
                    z.relativeError(), z.downRelativeError(), z.inRelativeError(), z.cosineDown(), z.neuronsRecovered(),
                    z.neuronsProtected(), 100 * z.fractionNeuronsRecovered(), z.tolerance(), z.signErrors(), z.duplicateMatches()));
        } else {
            head.append(String.format(Locale.ROOT, "No original given: %d of %d neurons pass the self-check (residuals <= %.1e).%n%n",
                    z.neuronsSelfChecked(), z.neuronsProtected(), z.tolerance()));
        }
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Mode: **%s**; order N = %d; activation %s; %s MLP.%n%n", z.modeDescription(),
                z.order(), z.activation(), z.gated() ? "gated" : "plain"));
        md.append("| layer | protected | solved | max rank-1 residual | max fit residual |")
                .append(scored ? " W_down rel. err | gate/fc1 rel. err | cosine | recovered ≤ tol |" : "").append('\n');
        md.append("|---|---|---|---|---|").append(scored ? "---|---|---|---|" : "").append('\n');
        for (AuditReport.ZeroQueryLayer l : z.layers()) {
            md.append(String.format(Locale.ROOT, "| %d | %d | %d | %.2e | %.2e |", l.layer(), l.protectedNeurons(), l.solved(),
                    l.maxRank1Residual(), l.maxFitResidual()));
            AuditReport.LayerScore s = l.score();
            if (s != null) {
                md.append(String.format(Locale.ROOT, " %.2e | %.2e | %.9f | %d/%d |", s.downRelativeError(), s.inRelativeError(),
                        s.cosineDown(), s.neuronsRecovered(), l.protectedNeurons()));
            } else if (scored) {
                md.append(" – | – | – | 0/0 |");
            }
            md.append('\n');
        }
        return head + md.toString();
    }

    private static String regression(AuditReport.Regression g) {
        boolean scored = g.scored();
        StringBuilder md = new StringBuilder();
        md.append("| T (tokens) | rel. error vs zero-query recovery |").append(scored ? " rel. error vs original |" : "").append('\n');
        md.append("|---|---|").append(scored ? "---|" : "").append('\n');
        for (AuditReport.SweepPoint p : g.sweep()) {
            md.append(String.format(Locale.ROOT, "| %d | %.3g |", p.tokens(), p.relativeErrorVsZeroQuery()));
            if (scored) md.append(String.format(Locale.ROOT, " %.3g |", p.relativeErrorVsOriginal()));
            md.append('\n');
        }
        Integer needed = g.tokensNeeded();
        String head = String.format(Locale.ROOT, "Recorded %d tokens of %s in %.1f s. W_down[:, S] by least squares on the "
                        + "recorded activations; %s%n%n", g.tokensRecorded(), g.textSource(), g.recordSeconds(),
                needed == null ? "no T in the sweep reached " + g.tolerance() + " relative error."
                        : "**" + needed + " tokens** suffice for relative error <= " + g.tolerance() + " ("
                        + (scored ? "vs the original" : "vs the zero-query recovery") + ").");
        return head + md;
    }

    private static String speedup(AuditReport.Speedup p) {
        StringBuilder md = new StringBuilder();
        String path = p.recoveredModel().toString();
        md.append("Recovered checkpoint: `").append(path).append("` (an ordinary ")
                .append(path.endsWith(".gguf") ? "GGUF file, tokenizer embedded" : "Hugging Face folder").append(").\n\n");
        Fidelity.TeacherForced tf = p.tfRecovered();
        if (p.hasOriginal()) {
            Fidelity.TeacherForced tfRel = p.tfRelease();
            md.append(String.format(Locale.ROOT, "Greedy continuations (%d prompts × %d tokens): recovered = original on **%d/%d** prompts "
                            + "(release = original on %d/%d). Teacher-forced on %d positions: recovered agreement %.5f, max |Δlogit| %.3g, "
                            + "KL %.3g; release agreement %.5f, max |Δlogit| %.3g, KL %.3g.%n%n",
                    p.greedyPrompts(), p.greedyTokens(), p.greedyIdentical(), p.greedyPrompts(), p.greedyIdenticalRelease(),
                    p.greedyPrompts(), tf.positions(), tf.agreement(), tf.maxAbsLogit(), tf.klMean(), tfRel.agreement(),
                    tfRel.maxAbsLogit(), tfRel.klMean()));
        } else {
            md.append(String.format(Locale.ROOT, "No original given. Recovered vs release: greedy identical on %d/%d prompts; "
                            + "teacher-forced agreement %.5f, max |Δlogit| %.3g (the release itself carries the Taylor truncation error).%n%n",
                    p.greedyIdentical(), p.greedyPrompts(), tf.agreement(), tf.maxAbsLogit()));
        }
        int n = p.decodeTokens();
        md.append(String.format(Locale.ROOT, "Decode (%d tokens, best of 5 interleaved rounds after a warm-up, %d threads): release %.3f ms/token, "
                        + "recovered %.3f ms/token%s → **speed-up %.2fx**.%n",
                n, p.threads(), 1e3 * p.releaseSeconds() / n, 1e3 * p.recoveredSeconds() / n,
                p.hasOriginal() ? String.format(Locale.ROOT, ", original %.3f ms/token", 1e3 * p.originalSeconds() / n) : "", p.speedup()));
        md.append(String.format(Locale.ROOT, "%nWeight bytes read per token: release %,d, recovered %,d (ratio %.2fx: the load-independent "
                        + "speed-up of memory-bound decoding; the timing above is as noisy as the machine).%n",
                p.releaseWeightBytesPerToken(), p.recoveredWeightBytesPerToken(), p.weightBytesRatio()));
        if (!p.configMatchesRelease()) md.append("\n**Warning:** the reopened checkpoint's configuration differs from the release's.\n");
        return md.toString();
    }

    private static String learning(AuditReport.Learning l) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Pool: %d tokens of %s%s; held-out: %d tokens. Per layer: a fresh %s MLP with as many "
                        + "neurons as the layer protects, %d Adam steps of %d samples. Fidelity = teacher-forced agreement of the "
                        + "top-1 token with the %s.%n%n", l.poolTokens(), l.textSource(),
                l.heldOutOverlapsPool() ? " (text too short: held-out overlaps)" : "", l.heldOutTokens(),
                l.gated() ? "gated" : "plain", l.steps(), l.batch(), l.reference()));
        md.append("| budget | tokens | agreement | KL mean | perplexity (student / reference) | held-out rel. MSE (mean over layers) |\n|---|---|---|---|---|---|\n");
        for (AuditReport.Budget b : l.budgets()) {
            Fidelity.TeacherForced tf = b.fidelity();
            md.append(String.format(Locale.ROOT, "| %.0f %% | %d | %.4f | %.3g | %.3f / %.3f | %.3g |%n", 100 * b.fraction(), b.tokens(),
                    tf.agreement(), tf.klMean(), tf.perplexityRelease(), tf.perplexityOriginal(), b.meanHeldOutRelativeMse()));
        }
        if (l.baseline() != null) {
            md.append(String.format(Locale.ROOT, "%nFor comparison, the release itself: agreement %.4f, KL %.3g; the zero-query recovery "
                    + "is exact (attack 3).%n", l.baseline().agreement(), l.baseline().klMean()));
        }
        return md.toString();
    }
}
