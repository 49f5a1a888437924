package org.taylormlp.eval;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code taylormlp eval} prints at the end, numbers rounded for people (the full-precision values are in
 * report.json): agreement and match rates to 4 / 3 decimals, KL and logit differences to 3 significant digits,
 * perplexities to 3 decimals, the slowdown to 2.
 */
public final class ReportTerminal {
    private ReportTerminal() {}

    /** The summary line, one line per task, and where report.md is. */
    public static String render(EvalReport r, Path reportMd) {
        StringBuilder sb = new StringBuilder(summaryLine(r.summary())).append('\n');
        for (Map.Entry<String, EvalReport.TaskResult> e : r.tasks().entrySet()) {
            EvalReport.TaskResult t = e.getValue();
            sb.append(String.format(Locale.ROOT, "task %s: accuracy %.3f vs %.3f, agreement %.3f (%d items)%n", e.getKey(),
                    t.accuracyOriginal(), t.accuracyRelease(), t.agreement(), t.items()));
        }
        return sb.append("report: ").append(reportMd).append('\n').toString();
    }

    public static String summaryLine(EvalReport.Summary s) {
        return "teacher-forced agreement " + fmt(s.agreement(), 4)
                + ", KL mean " + sci(s.klMean()) + " max " + sci(s.klMax())
                + ", max |dlogit| " + sci(s.maxAbsLogitDiff())
                + ", ppl " + fmt(s.perplexityOriginal(), 3) + " vs " + fmt(s.perplexityRelease(), 3)
                + ", greedy match " + fmt(s.greedyMatchRate(), 3)
                + ", slowdown " + (Double.isNaN(s.slowdown()) ? "n/a" : fmt(s.slowdown(), 2) + "x");
    }

    /** {@code v} to {@code digits} decimals, "n/a" for NaN. */
    static String fmt(double v, int digits) {
        if (Double.isNaN(v)) return "n/a";
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    /** {@code v} to 3 significant digits, "n/a" for NaN. */
    static String sci(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
