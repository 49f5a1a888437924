package org.taylormlp.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PNG plots of an eval report (a saved report.json can be redrawn: {@code Plots.write(ReportJson.read(json), dir)}).
 */
public final class Plots {
    private Plots() {}

    public static List<String> write(EvalReport report, Path dir) {
        List<String> files = new ArrayList<>();
        EvalReport.Greedy g = report.greedy();
        if (g != null) {
            int tokens = g.tokens();
            int bins = Math.max(1, Math.min(8, tokens));
            int width = (tokens + bins - 1) / bins;
            List<String> cats = new ArrayList<>();
            double[] counts = new double[bins + 1];
            for (int b = 0; b < bins; b++) cats.add(b * width + "-" + Math.min(tokens - 1, (b + 1) * width - 1));
            cats.add("identical");
            for (int d : g.firstDivergence()) {
                counts[d < 0 ? bins : Math.min(bins - 1, d / width)]++;
            }
            Map<String, double[]> s = new LinkedHashMap<>();
            s.put("prompts", counts);
            Charts.bars(dir.resolve("first_divergence.png"), "Greedy continuations: first divergent token (" + g.prompts()
                    + " prompts, " + tokens + " tokens)", "prompts", cats, s, null);
            files.add("first_divergence.png");
        }
        Map<String, EvalReport.TaskResult> tasks = report.tasks();
        if (!tasks.isEmpty()) {
            List<String> cats = new ArrayList<>();
            double[] a = new double[tasks.size()], b = new double[tasks.size()], ag = new double[tasks.size()];
            int i = 0;
            for (Map.Entry<String, EvalReport.TaskResult> e : tasks.entrySet()) {
                cats.add(e.getKey());
                a[i] = e.getValue().accuracyOriginal();
                b[i] = e.getValue().accuracyRelease();
                ag[i] = e.getValue().agreement();
                i++;
            }
            Map<String, double[]> s = new LinkedHashMap<>();
            s.put("accuracy original", a);
            s.put("accuracy release", b);
            s.put("agreement (same answer)", ag);
            Charts.bars(dir.resolve("tasks.png"), "Tasks: accuracy and answer agreement", "fraction", cats, s, 1.05);
            files.add("tasks.png");
        }
        if (!report.sweep().isEmpty()) {
            Map<String, List<EvalReport.SweepPoint>> byRule = new LinkedHashMap<>();
            for (EvalReport.SweepPoint p : report.sweep()) byRule.computeIfAbsent(p.selection(), k -> new ArrayList<>()).add(p);
            boolean one = byRule.size() == 1;
            List<Charts.Line> slow = new ArrayList<>(), agree = new ArrayList<>(), div = new ArrayList<>();
            int group = -1;
            for (Map.Entry<String, List<EvalReport.SweepPoint>> e : byRule.entrySet()) {
                group++;
                List<EvalReport.SweepPoint> ps = e.getValue();
                int n = ps.size();
                double[] x = new double[n], sd = new double[n], sp = new double[n], pred = new double[n], agr = new double[n],
                        kl = new double[n], klMax = new double[n], dl = new double[n];
                for (int i = 0; i < n; i++) {
                    EvalReport.SweepPoint p = ps.get(i);
                    x[i] = p.order();
                    sd[i] = p.slowdown();
                    sp[i] = p.slowdownPrefill();
                    pred[i] = p.slowdownPredicted();
                    agr[i] = p.scores().agreement();
                    kl[i] = p.scores().klMean();
                    klMax[i] = p.scores().klMax();
                    dl[i] = p.scores().maxAbsLogitDiff();
                }
                String r = one ? "" : " (" + e.getKey() + ")";
                slow.add(new Charts.Line("decode, measured" + r, x, sd, one ? 0 : group, false));
                if (one) slow.add(new Charts.Line("prefill, measured", x, sp, 1, false));
                slow.add(new Charts.Line("predicted (weight bytes/token)" + r, x, pred, one ? 0 : group, true));
                agree.add(new Charts.Line(one ? "agreement" : e.getKey(), x, agr, group, false));
                div.add(new Charts.Line("mean KL (nats)" + r, x, kl, one ? -1 : group, false));
                if (one) {
                    div.add(new Charts.Line("max KL (nats)", x, klMax));
                    div.add(new Charts.Line("max |logit diff|", x, dl));
                }
            }
            String sel = report.sweepSelection();
            Charts.xy(dir.resolve("slowdown_vs_order.png"), "Slowdown vs Taylor order N" + (one ? " (" + sel + ")" : ""), "order N",
                    "slowdown (x)", slow, false);
            files.add("slowdown_vs_order.png");
            Charts.xy(dir.resolve("agreement_vs_order.png"), "Teacher-forced argmax agreement vs N" + (one ? " (" + sel + ")" : ""),
                    "order N", "agreement", agree, false);
            files.add("agreement_vs_order.png");
            Charts.xy(dir.resolve("kl_vs_order.png"), "Divergence from the original vs N" + (one ? " (" + sel + ")" : ""), "order N",
                    one ? "log scale" : "mean KL(original||release), nats", div, true);
            files.add("kl_vs_order.png");
        }
        return files;
    }
}
