package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The PNG plots of an eval report, drawn from report.json's content (so they can be redrawn from a saved report). */
public final class Plots {
    private Plots() {}

    public static List<String> write(JsonNode report, Path dir) {
        List<String> files = new ArrayList<>();
        JsonNode g = report.path("greedy");
        if (g.has("first_divergence")) {
            int tokens = g.path("tokens").asInt();
            int bins = Math.max(1, Math.min(8, tokens));
            int width = (tokens + bins - 1) / bins;
            List<String> cats = new ArrayList<>();
            double[] counts = new double[bins + 1];
            for (int b = 0; b < bins; b++) cats.add(b * width + "-" + Math.min(tokens - 1, (b + 1) * width - 1));
            cats.add("identical");
            for (JsonNode v : g.path("first_divergence")) {
                int d = v.asInt();
                counts[d < 0 ? bins : Math.min(bins - 1, d / width)]++;
            }
            Map<String, double[]> s = new LinkedHashMap<>();
            s.put("prompts", counts);
            Charts.bars(dir.resolve("first_divergence.png"), "Greedy continuations: first divergent token (" + g.path("prompts").asInt()
                    + " prompts, " + tokens + " tokens)", "prompts", cats, s, null);
            files.add("first_divergence.png");
        }
        JsonNode tasks = report.path("tasks");
        if (tasks.size() > 0) {
            List<String> cats = new ArrayList<>();
            double[] a = new double[tasks.size()], b = new double[tasks.size()], ag = new double[tasks.size()];
            int i = 0;
            for (var it = tasks.fields(); it.hasNext(); i++) {
                var e = it.next();
                cats.add(e.getKey());
                a[i] = e.getValue().path("accuracy_original").asDouble();
                b[i] = e.getValue().path("accuracy_release").asDouble();
                ag[i] = e.getValue().path("agreement").asDouble();
            }
            Map<String, double[]> s = new LinkedHashMap<>();
            s.put("accuracy original", a);
            s.put("accuracy release", b);
            s.put("agreement (same answer)", ag);
            Charts.bars(dir.resolve("tasks.png"), "Tasks: accuracy and answer agreement", "fraction", cats, s, 1.05);
            files.add("tasks.png");
        }
        JsonNode sw = report.path("sweep");
        if (sw.size() > 0) {
            Map<String, List<JsonNode>> byRule = new LinkedHashMap<>();
            for (JsonNode p : sw) byRule.computeIfAbsent(p.path("selection").asText(), k -> new ArrayList<>()).add(p);
            boolean one = byRule.size() == 1;
            List<Charts.Line> slow = new ArrayList<>(), agree = new ArrayList<>(), div = new ArrayList<>();
            int group = -1;
            for (Map.Entry<String, List<JsonNode>> e : byRule.entrySet()) {
                group++;
                List<JsonNode> ps = e.getValue();
                int n = ps.size();
                double[] x = new double[n], sd = new double[n], sp = new double[n], pred = new double[n], agr = new double[n],
                        kl = new double[n], klMax = new double[n], dl = new double[n];
                for (int i = 0; i < n; i++) {
                    JsonNode p = ps.get(i);
                    x[i] = p.path("order").asDouble();
                    sd[i] = p.path("slowdown").asDouble(Double.NaN);
                    sp[i] = p.path("slowdown_prefill").asDouble(Double.NaN);
                    pred[i] = p.path("slowdown_predicted").asDouble(p.path("slowdown_predicted_cost_model").asDouble(Double.NaN));
                    agr[i] = p.path("teacher_forced_agreement").asDouble(Double.NaN);
                    kl[i] = p.path("kl_mean").asDouble(Double.NaN);
                    klMax[i] = p.path("kl_max").asDouble(Double.NaN);
                    dl[i] = p.path("max_abs_logit_diff").asDouble(Double.NaN);
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
            String sel = report.path("sweep_selection").asText();
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
