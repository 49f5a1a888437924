package org.taylormlp.eval;

import org.taylormlp.eval.EvalReport.ChoiceTask;
import org.taylormlp.eval.EvalReport.Greedy;
import org.taylormlp.eval.EvalReport.ReleaseInfo;
import org.taylormlp.eval.EvalReport.Scores;
import org.taylormlp.eval.EvalReport.SpeedResult;
import org.taylormlp.eval.EvalReport.SubjectScore;
import org.taylormlp.eval.EvalReport.Summary;
import org.taylormlp.eval.EvalReport.SweepPoint;
import org.taylormlp.eval.EvalReport.TaskResult;
import org.taylormlp.eval.EvalReport.TextFidelity;
import org.taylormlp.eval.EvalReport.Tps;

import java.util.Map;

import static org.taylormlp.eval.ReportTerminal.fmt;
import static org.taylormlp.eval.ReportTerminal.sci;

/** report.md: the same numbers as report.json, for people. */
final class ReportMarkdown {
    private ReportMarkdown() {}

    static String render(EvalReport r, EvalOptions o) {
        StringBuilder sb = new StringBuilder();
        sb.append("# TaylorMLP evaluation\n\n");
        sb.append("- original: `").append(r.original()).append("`\n");
        sb.append("- release: `").append(r.release()).append("`");
        ReleaseInfo ri = r.releaseInfo();
        if (ri != null) {
            sb.append(String.format(" — order N = %d, selection %s, %d of %d neurons protected, %s %% of MLP parameters in the clear",
                    ri.order(), ri.selection(), ri.protectedNeurons(), ri.totalNeurons(), fmt(100 * ri.fractionMlpParamsInClear(), 1)));
        }
        sb.append("\n- ").append(r.tool()).append(", ").append(r.threads()).append(" thread(s) on ")
                .append(r.cores()).append(" cores; load average (1/5/15 min) at start ")
                .append(r.machineLoadStart()).append(", at end ").append(r.machineLoadEnd()).append("\n\n");

        Summary m = r.summary();
        sb.append("## Summary\n\n| metric | value |\n| --- | ---: |\n");
        row(sb, "teacher-forced argmax agreement", fmt(m.agreement(), 5));
        row(sb, "KL(original‖release) mean / max (nats)", sci(m.klMean()) + " / " + sci(m.klMax()));
        row(sb, "max |logit difference|", sci(m.maxAbsLogitDiff()));
        row(sb, "perplexity original / release (first --data file)", fmt(m.perplexityOriginal(), 4) + " / "
                + fmt(m.perplexityRelease(), 4));
        row(sb, "greedy continuations identical", fmt(m.greedyMatchRate(), 3));
        row(sb, "decode slowdown measured (predicted from bytes)", fmt(m.slowdown(), 2) + "x ("
                + fmt(r.slowdownPredicted(), 2) + "x)");
        sb.append('\n');

        sb.append("## Fidelity on text\n\n");
        sb.append(String.format("Windows of %d tokens, stride %d (non-overlapping), BOS as the first token of each window, only the "
                + "second half of each window scored (llama-perplexity's convention); agreement, KL and logit differences are taken at "
                + "the scored positions. Each paragraph is a document starting with BOS; documents are concatenated into one stream, "
                + "cut at --max-tokens %d.%n%n", r.window(), r.window(), o.maxTokens()));
        sb.append("| file | held-out split | tokens | windows | scored | agreement | KL mean | KL max | max abs dlogit | ppl original | ppl release |\n");
        sb.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (TextFidelity d : r.data()) {
            Scores s = d.scores();
            sb.append(String.format("| %s | paragraphs %d.. of %d (skipped: %s) | %d | %d | %d | %s | %s | %s | %s | %s | %s |%n",
                    d.fileName(), d.paragraphsSkipped(), d.paragraphsTotal(), d.skipReason(), d.streamTokens(), d.windows(),
                    s.positions(), fmt(s.agreement(), 5), sci(s.klMean()), sci(s.klMax()), sci(s.maxAbsLogitDiff()),
                    fmt(s.perplexityOriginal(), 4), fmt(s.perplexityRelease(), 4)));
        }
        boolean header = false;
        for (TextFidelity d : r.data()) {
            EvalReport.TaylorInputs ti = d.taylorInputs();
            if (ti == null) continue;
            if (!header) {
                sb.append("\nTaylor inputs t = (g − z0)/r of the protected neurons on this text (|t| ≤ 1 is the calibrated range):\n\n"
                        + "| file | values | fraction abs t > 1 | fraction abs t > 2 | max abs t |\n| --- | ---: | ---: | ---: | ---: |\n");
                header = true;
            }
            sb.append(String.format("| %s | %d | %s | %s | %s |%n", d.fileName(), ti.values(), sci(ti.fractionOutsideCalibratedRange()),
                    sci(ti.fractionBeyondTwiceTheRange()), fmt(ti.maxAbsT(), 2)));
        }
        Greedy g = r.greedy();
        if (g != null) {
            sb.append(String.format("%nGreedy continuations: %d prompts (the first %d tokens of held-out paragraphs, round-robin over the "
                            + "files), %d generated tokens each: %d identical (%s). First divergence positions (-1 = identical): %s%n",
                    g.prompts(), g.promptTokens(), g.tokens(), g.identical(), fmt(g.matchRate(), 3),
                    g.firstDivergence().toString().replace(" ", "")));
            sb.append("\n![first divergence](first_divergence.png)\n");
        }

        if (!r.tasks().isEmpty()) {
            sb.append("\n## Tasks\n\nMultiple choice by summed log-likelihood of each choice as a continuation of a zero-shot prompt; "
                    + "GSM8K by greedy generation and number extraction. Agreement = both models give the same answer.\n\n");
            sb.append("| task | items | chance | accuracy original | accuracy release | agreement |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            for (Map.Entry<String, TaskResult> e : r.tasks().entrySet()) {
                TaskResult x = e.getValue();
                sb.append(String.format("| %s | %d | %s | %s | %s | %s |%n", e.getKey(), x.items(),
                        x instanceof ChoiceTask c ? fmt(c.chance(), 3) : "-", fmt(x.accuracyOriginal(), 3),
                        fmt(x.accuracyRelease(), 3), fmt(x.agreement(), 3)));
                if (x instanceof ChoiceTask c && c.subjects() != null) {
                    for (Map.Entry<String, SubjectScore> se : c.subjects().entrySet()) {
                        SubjectScore y = se.getValue();
                        sb.append(String.format("| &nbsp;&nbsp;%s | %d | 0.250 | %s | %s | %s |%n", se.getKey(), y.items(),
                                fmt(y.accuracyOriginal(), 3), fmt(y.accuracyRelease(), 3), fmt(y.agreement(), 3)));
                    }
                }
            }
            sb.append("\n![tasks](tasks.png)\n");
        }

        SpeedResult s = r.speed();
        if (s != null) {
            sb.append(String.format("%n## Speed%n%nPrefill of %d random tokens and decode of %d tokens from an empty context, %d "
                            + "repetitions alternating original and release after a warm-up; medians (± sd) and the best repetition. "
                            + "Slowdowns compare the best repetitions (the least disturbed by other load); the ratio of medians is in "
                            + "brackets.%n%n",
                    s.promptTokens(), s.genTokens(), s.repetitions()));
            sb.append("| | prefill tok/s median ± sd (best) | decode tok/s median ± sd (best) | weight bytes/token |\n| --- | ---: | ---: | ---: |\n");
            speedRow(sb, "original", s.prefillOriginal(), s.decodeOriginal(), s.weightBytesPerTokenOriginal());
            speedRow(sb, "release", s.prefillRelease(), s.decodeRelease(), s.weightBytesPerTokenRelease());
            sb.append(String.format("| slowdown | %sx (%sx) | %sx (%sx); predicted %sx | |%n", fmt(s.slowdownPrefill(), 2),
                    fmt(s.slowdownPrefillMedian(), 2), fmt(s.slowdownDecode(), 2),
                    fmt(s.slowdownDecodeMedian(), 2), fmt(s.slowdownPredictedBytes(), 2)));
        }

        if (!r.sweep().isEmpty()) {
            sb.append("\n## Sweep over the Taylor order N\n\nRe-protected from `").append(o.calibration()).append("` with selection(s) `")
                    .append(r.sweepSelection()).append("` for every N; fidelity on the first --data file (--sweep-tokens ")
                    .append(o.sweepTokens()).append("); measured slowdowns compare the best of the repetitions (see Speed), predicted = release/original weight bytes per token.\n\n");
            sb.append("| selection | N | protected | agreement | KL mean | KL max | max abs dlogit | ppl release (orig) | decode slowdown | prefill slowdown | predicted |\n");
            sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (SweepPoint p : r.sweep()) {
                Scores q = p.scores();
                sb.append(String.format("| %s | %d | %d / %d | %s | %s | %s | %s | %s (%s) | %s | %s | %s |%n", p.selection(), p.order(),
                        p.protectedNeurons(), p.totalNeurons(), fmt(q.agreement(), 5), sci(q.klMean()), sci(q.klMax()),
                        sci(q.maxAbsLogitDiff()), fmt(q.perplexityRelease(), 4), fmt(q.perplexityOriginal(), 4),
                        fmt(p.slowdown(), 2), fmt(p.slowdownPrefill(), 2), fmt(p.slowdownPredicted(), 2)));
            }
            sb.append("\n![slowdown vs N](slowdown_vs_order.png)\n![agreement vs N](agreement_vs_order.png)\n![KL vs N](kl_vs_order.png)\n");
        }
        return sb.toString();
    }

    private static void speedRow(StringBuilder sb, String model, Tps prefill, Tps decode, long weightBytes) {
        sb.append(String.format("| %s | %s ± %s (%s) | %s ± %s (%s) | %,d |%n", model, fmt(prefill.median(), 1), fmt(prefill.sd(), 1),
                fmt(prefill.best(), 1), fmt(decode.median(), 1), fmt(decode.sd(), 1), fmt(decode.best(), 1), weightBytes));
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append("| ").append(cell(k)).append(" | ").append(cell(v)).append(" |\n");
    }

    /** A table cell's text with its pipes escaped (GitHub Markdown would otherwise split the cell there). */
    static String cell(String s) {
        return s.replace("|", "\\|");
    }
}
