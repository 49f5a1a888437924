package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;

import static org.taylormlp.eval.Evaluation.fmt;
import static org.taylormlp.eval.Evaluation.sci;

/** report.md: the same numbers as report.json, for people. */
final class ReportMarkdown {
    private ReportMarkdown() {}

    static String render(JsonNode r, Evaluation.Options o) {
        StringBuilder sb = new StringBuilder();
        sb.append("# TaylorMLP evaluation\n\n");
        sb.append("- original: `").append(r.path("original").asText()).append("`\n");
        sb.append("- release: `").append(r.path("release").asText()).append("`");
        JsonNode ri = r.path("release_info");
        if (!ri.isMissingNode()) {
            sb.append(String.format(" — order N = %d, selection %s, %d of %d neurons protected, %s %% of MLP parameters in the clear",
                    ri.path("order").asInt(), ri.path("selection").asText(), ri.path("protected_neurons").asLong(),
                    ri.path("total_neurons").asLong(), fmt(100 * ri.path("fraction_mlp_params_in_clear").asDouble(), 1)));
        }
        sb.append("\n- ").append(r.path("tool").asText()).append(", ").append(r.path("threads").asInt()).append(" thread(s) on ")
                .append(r.path("cores").asInt()).append(" cores; load average (1/5/15 min) at start ")
                .append(r.path("machine_load_start").asText()).append(", at end ").append(r.path("machine_load_end").asText()).append("\n\n");

        sb.append("## Summary\n\n| metric | value |\n| --- | ---: |\n");
        row(sb, "teacher-forced argmax agreement", fmt(r.path("teacher_forced_agreement").asDouble(Double.NaN), 5));
        row(sb, "KL(original‖release) mean / max (nats)", sci(r.path("kl_mean").asDouble(Double.NaN)) + " / " + sci(r.path("kl_max").asDouble(Double.NaN)));
        row(sb, "max |logit difference|", sci(r.path("max_abs_logit_diff").asDouble(Double.NaN)));
        row(sb, "perplexity original / release (first --data file)", fmt(r.path("perplexity_original").asDouble(Double.NaN), 4) + " / "
                + fmt(r.path("perplexity_release").asDouble(Double.NaN), 4));
        row(sb, "greedy continuations identical", fmt(r.path("greedy_match_rate").asDouble(Double.NaN), 3));
        row(sb, "decode slowdown measured (predicted from bytes)", fmt(r.path("slowdown").asDouble(Double.NaN), 2) + "x ("
                + fmt(r.path("slowdown_predicted").asDouble(Double.NaN), 2) + "x)");
        sb.append('\n');

        sb.append("## Fidelity on text\n\n");
        sb.append(String.format("Windows of %d tokens, stride %d (non-overlapping), BOS as the first token of each window, only the "
                + "second half of each window scored (llama-perplexity's convention); agreement, KL and logit differences are taken at "
                + "the scored positions. Each paragraph is a document starting with BOS; documents are concatenated into one stream, "
                + "cut at --max-tokens %d.%n%n", r.path("window").asInt(), r.path("window").asInt(), o.maxTokens()));
        sb.append("| file | held-out split | tokens | windows | scored | agreement | KL mean | KL max | max abs dlogit | ppl original | ppl release |\n");
        sb.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (JsonNode d : r.path("data")) {
            sb.append(String.format("| %s | paragraphs %d.. of %d (skipped: %s) | %d | %d | %d | %s | %s | %s | %s | %s | %s |%n",
                    java.nio.file.Path.of(d.path("file").asText()).getFileName(), d.path("paragraphs_skipped").asInt(),
                    d.path("paragraphs_total").asInt(), d.path("skip_reason").asText(), d.path("stream_tokens").asLong(),
                    d.path("windows").asInt(), d.path("positions").asLong(), fmt(d.path("teacher_forced_agreement").asDouble(), 5),
                    sci(d.path("kl_mean").asDouble()), sci(d.path("kl_max").asDouble()), sci(d.path("max_abs_logit_diff").asDouble()),
                    fmt(d.path("perplexity_original").asDouble(), 4), fmt(d.path("perplexity_release").asDouble(), 4)));
        }
        boolean header = false;
        for (JsonNode d : r.path("data")) {
            JsonNode ti = d.path("taylor_inputs");
            if (ti.isMissingNode()) continue;
            if (!header) {
                sb.append("\nTaylor inputs t = (g − z0)/r of the protected neurons on this text (|t| ≤ 1 is the calibrated range):\n\n"
                        + "| file | values | fraction abs t > 1 | fraction abs t > 2 | max abs t |\n| --- | ---: | ---: | ---: | ---: |\n");
                header = true;
            }
            sb.append(String.format("| %s | %d | %s | %s | %s |%n", java.nio.file.Path.of(d.path("file").asText()).getFileName(),
                    ti.path("values").asLong(), sci(ti.path("fraction_outside_calibrated_range").asDouble()),
                    sci(ti.path("fraction_beyond_twice_the_range").asDouble()), fmt(ti.path("max_abs_t").asDouble(), 2)));
        }
        JsonNode g = r.path("greedy");
        if (!g.isMissingNode()) {
            sb.append(String.format("%nGreedy continuations: %d prompts (the first %d tokens of held-out paragraphs, round-robin over the "
                            + "files), %d generated tokens each: %d identical (%s). First divergence positions (-1 = identical): %s%n",
                    g.path("prompts").asInt(), g.path("prompt_tokens").asInt(), g.path("tokens").asInt(), g.path("identical").asInt(),
                    fmt(g.path("match_rate").asDouble(), 3), g.path("first_divergence").toString()));
            sb.append("\n![first divergence](first_divergence.png)\n");
        }

        JsonNode t = r.path("tasks");
        if (t.size() > 0) {
            sb.append("\n## Tasks\n\nMultiple choice by summed log-likelihood of each choice as a continuation of a zero-shot prompt; "
                    + "GSM8K by greedy generation and number extraction. Agreement = both models give the same answer.\n\n");
            sb.append("| task | items | chance | accuracy original | accuracy release | agreement |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            for (var it = t.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode x = e.getValue();
                sb.append(String.format("| %s | %d | %s | %s | %s | %s |%n", e.getKey(), x.path("items").asInt(),
                        x.has("chance") ? fmt(x.path("chance").asDouble(), 3) : "-", fmt(x.path("accuracy_original").asDouble(), 3),
                        fmt(x.path("accuracy_release").asDouble(), 3), fmt(x.path("agreement").asDouble(), 3)));
                for (var s = x.path("subjects").fields(); s.hasNext(); ) {
                    var se = s.next();
                    JsonNode y = se.getValue();
                    sb.append(String.format("| &nbsp;&nbsp;%s | %d | 0.250 | %s | %s | %s |%n", se.getKey(), y.path("items").asInt(),
                            fmt(y.path("accuracy_original").asDouble(), 3), fmt(y.path("accuracy_release").asDouble(), 3),
                            fmt(y.path("agreement").asDouble(), 3)));
                }
            }
            sb.append("\n![tasks](tasks.png)\n");
        }

        JsonNode s = r.path("speed");
        if (!s.isMissingNode()) {
            sb.append(String.format("%n## Speed%n%nPrefill of %d random tokens and decode of %d tokens from an empty context, %d "
                            + "repetitions alternating original and release after a warm-up; medians (± sd) and the best repetition. "
                            + "Slowdowns compare the best repetitions (the least disturbed by other load); the ratio of medians is in "
                            + "brackets.%n%n",
                    s.path("prompt_tokens").asInt(), s.path("gen_tokens").asInt(), s.path("repetitions").asInt()));
            sb.append("| | prefill tok/s median ± sd (best) | decode tok/s median ± sd (best) | weight bytes/token |\n| --- | ---: | ---: | ---: |\n");
            for (String m : new String[]{"original", "release"}) {
                sb.append(String.format("| %s | %s ± %s (%s) | %s ± %s (%s) | %,d |%n", m, fmt(s.path("prefill_tps_" + m).asDouble(), 1),
                        fmt(s.path("prefill_tps_" + m + "_sd").asDouble(), 1), fmt(s.path("prefill_tps_" + m + "_best").asDouble(), 1),
                        fmt(s.path("decode_tps_" + m).asDouble(), 1), fmt(s.path("decode_tps_" + m + "_sd").asDouble(), 1),
                        fmt(s.path("decode_tps_" + m + "_best").asDouble(), 1), s.path("weight_bytes_per_token_" + m).asLong()));
            }
            sb.append(String.format("| slowdown | %sx (%sx) | %sx (%sx); predicted %sx | |%n", fmt(s.path("slowdown_prefill").asDouble(), 2),
                    fmt(s.path("slowdown_prefill_median").asDouble(), 2), fmt(s.path("slowdown_decode").asDouble(), 2),
                    fmt(s.path("slowdown_decode_median").asDouble(), 2), fmt(s.path("slowdown_predicted_bytes").asDouble(), 2)));
        }

        JsonNode sw = r.path("sweep");
        if (sw.size() > 0) {
            sb.append("\n## Sweep over the Taylor order N\n\nRe-protected from `").append(o.calibration()).append("` with selection(s) `")
                    .append(r.path("sweep_selection").asText()).append("` for every N; fidelity on the first --data file (--sweep-tokens ")
                    .append(o.sweepTokens()).append("); measured slowdowns compare the best of the repetitions (see Speed), predicted = release/original weight bytes per token.\n\n");
            sb.append("| selection | N | protected | agreement | KL mean | KL max | max abs dlogit | ppl release (orig) | decode slowdown | prefill slowdown | predicted |\n");
            sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (JsonNode p : sw) {
                sb.append(String.format("| %s | %d | %d / %d | %s | %s | %s | %s | %s (%s) | %s | %s | %s |%n", p.path("selection").asText(), p.path("order").asInt(),
                        p.path("protected_neurons").asLong(), p.path("total_neurons").asLong(),
                        fmt(p.path("teacher_forced_agreement").asDouble(), 5), sci(p.path("kl_mean").asDouble()),
                        sci(p.path("kl_max").asDouble()), sci(p.path("max_abs_logit_diff").asDouble()),
                        fmt(p.path("perplexity_release").asDouble(), 4), fmt(p.path("perplexity_original").asDouble(), 4),
                        fmt(p.path("slowdown").asDouble(Double.NaN), 2), fmt(p.path("slowdown_prefill").asDouble(Double.NaN), 2),
                        fmt(p.path("slowdown_predicted").asDouble(p.path("slowdown_predicted_cost_model").asDouble()), 2)));
            }
            sb.append("\n![slowdown vs N](slowdown_vs_order.png)\n![agreement vs N](agreement_vs_order.png)\n![KL vs N](kl_vs_order.png)\n");
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append("| ").append(cell(k)).append(" | ").append(cell(v)).append(" |\n");
    }

    /** A table cell's text with its pipes escaped (GitHub Markdown would otherwise split the cell there). */
    static String cell(String s) {
        return s.replace("|", "\\|");
    }
}
