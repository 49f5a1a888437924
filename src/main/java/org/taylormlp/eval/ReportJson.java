package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.eval.EvalReport.Aggregate;
import org.taylormlp.eval.EvalReport.Answer;
import org.taylormlp.eval.EvalReport.ChoiceTask;
import org.taylormlp.eval.EvalReport.GenerationTask;
import org.taylormlp.eval.EvalReport.Greedy;
import org.taylormlp.eval.EvalReport.Prediction;
import org.taylormlp.eval.EvalReport.ReleaseInfo;
import org.taylormlp.eval.EvalReport.Scores;
import org.taylormlp.eval.EvalReport.SpeedResult;
import org.taylormlp.eval.EvalReport.SubjectScore;
import org.taylormlp.eval.EvalReport.SweepPoint;
import org.taylormlp.eval.EvalReport.TaskResult;
import org.taylormlp.eval.EvalReport.TaylorInputs;
import org.taylormlp.eval.EvalReport.TextFidelity;
import org.taylormlp.eval.EvalReport.Tps;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * report.json and the checkpoint sections: {@link EvalReport} written as JSON with snake_case keys (the names scripts
 * and {@code eval --resume} rely on), and read back. Readers are strict: a missing key is a
 * {@link TaylorMlpException} naming it, so a checkpoint from another format is recomputed rather than half-read.
 */
public final class ReportJson {
    private ReportJson() {}

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Pretty-printed JSON text with a final newline. */
    static String text(JsonNode n) {
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ================================================================================================ writing

    public static ObjectNode write(EvalReport r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("tool", r.tool());
        n.put("original", r.original());
        n.put("release", r.release());
        if (r.releaseInfo() != null) {
            ReleaseInfo i = r.releaseInfo();
            ObjectNode x = n.putObject("release_info");
            x.put("order", i.order());
            x.put("selection", i.selection());
            x.put("fraction_mlp_params_in_clear", i.fractionMlpParamsInClear());
            x.put("protected_neurons", i.protectedNeurons());
            x.put("total_neurons", i.totalNeurons());
        }
        n.put("window", r.window());
        n.put("threads", r.threads());
        ArrayNode data = n.putArray("data");
        for (TextFidelity d : r.data()) data.add(write(d));
        Aggregate a = r.aggregate();
        if (a == null) {
            for (String k : List.of("teacher_forced_agreement", "kl_mean", "kl_max", "max_abs_logit_diff", "perplexity_original",
                    "perplexity_release")) n.putNull(k);
        } else {
            n.put("teacher_forced_agreement", a.agreement());
            n.put("kl_mean", a.klMean());
            n.put("kl_max", a.klMax());
            n.put("max_abs_logit_diff", a.maxAbsLogitDiff());
            n.put("perplexity_original", a.perplexityOriginal());
            n.put("perplexity_release", a.perplexityRelease());
            n.put("perplexity_file", a.perplexityFile());
        }
        if (r.greedy() != null) {
            n.set("greedy", write(r.greedy()));
            n.put("greedy_match_rate", r.greedyMatchRate());
        } else {
            n.putNull("greedy_match_rate");
        }
        ObjectNode tasks = n.putObject("tasks");
        for (Map.Entry<String, TaskResult> e : r.tasks().entrySet()) tasks.set(e.getKey(), write(e.getValue()));
        if (r.speed() != null) {
            n.set("speed", write(r.speed()));
            n.put("slowdown", r.slowdown());
            n.put("slowdown_predicted", r.slowdownPredicted());
        } else {
            n.putNull("slowdown");
        }
        if (!r.sweep().isEmpty()) {
            ArrayNode sweep = n.putArray("sweep");
            for (SweepPoint p : r.sweep()) sweep.add(write(p));
            n.put("sweep_selection", r.sweepSelection());
        }
        n.put("machine_load_start", r.machineLoadStart());
        n.put("machine_load_end", r.machineLoadEnd());
        n.put("cores", r.cores());
        ArrayNode plots = n.putArray("plots");
        for (String p : r.plots()) plots.add(p);
        return n;
    }

    static void putScores(ObjectNode d, Scores s) {
        d.put("positions", s.positions());
        d.put("teacher_forced_agreement", s.agreement());
        d.put("kl_mean", s.klMean());
        d.put("kl_max", s.klMax());
        d.put("max_abs_logit_diff", s.maxAbsLogitDiff());
        d.put("nll_original", s.nllOriginal());
        d.put("nll_release", s.nllRelease());
        d.put("perplexity_original", s.perplexityOriginal());
        d.put("perplexity_release", s.perplexityRelease());
    }

    static ObjectNode write(TextFidelity t) {
        ObjectNode d = JSON.createObjectNode();
        d.put("file", t.file());
        d.put("paragraphs_total", t.paragraphsTotal());
        d.put("paragraphs_skipped", t.paragraphsSkipped());
        d.put("skip_reason", t.skipReason());
        d.put("stream_tokens", t.streamTokens());
        d.put("windows", t.windows());
        putScores(d, t.scores());
        TaylorInputs p = t.taylorInputs();
        if (p != null) {
            ObjectNode ti = d.putObject("taylor_inputs");
            ti.put("values", p.values());
            ti.put("fraction_outside_calibrated_range", p.fractionOutsideCalibratedRange());
            ti.put("fraction_beyond_twice_the_range", p.fractionBeyondTwiceTheRange());
            ti.put("max_abs_t", p.maxAbsT());
        }
        return d;
    }

    static ObjectNode write(Greedy g) {
        ObjectNode n = JSON.createObjectNode();
        n.put("prompts", g.prompts());
        n.put("prompt_tokens", g.promptTokens());
        n.put("tokens", g.tokens());
        n.put("identical", g.identical());
        n.put("match_rate", g.matchRate());
        ArrayNode fd = n.putArray("first_divergence");
        for (int v : g.firstDivergence()) fd.add(v);
        return n;
    }

    static ObjectNode write(TaskResult t) {
        ObjectNode n = JSON.createObjectNode();
        switch (t) {
            case GenerationTask g -> {
                n.put("kind", "generation");
                n.put("items", g.items());
                n.put("accuracy_original", g.accuracyOriginal());
                n.put("accuracy_release", g.accuracyRelease());
                n.put("agreement", g.agreement());
                n.put("identical_text_rate", g.identicalTextRate());
                n.put("max_new_tokens", g.maxNewTokens());
                ArrayNode per = n.putArray("answers");
                for (Answer a : g.answers()) {
                    ObjectNode x = per.addObject();
                    x.put("id", a.id());
                    x.put("gold", a.gold());
                    x.put("original", a.original());
                    x.put("release", a.release());
                }
            }
            case ChoiceTask c -> {
                n.put("kind", "multiple_choice");
                n.put("items", c.items());
                n.put("accuracy_original", c.accuracyOriginal());
                n.put("accuracy_release", c.accuracyRelease());
                n.put("agreement", c.agreement());
                n.put("chance", c.chance());
                ArrayNode per = n.putArray("predictions"); // [id, gold, original, release]
                for (Prediction p : c.predictions()) {
                    ArrayNode x = per.addArray();
                    x.add(p.id());
                    x.add(p.gold());
                    x.add(p.original());
                    x.add(p.release());
                }
                if (c.subjects() != null) {
                    ObjectNode subj = n.putObject("subjects");
                    for (Map.Entry<String, SubjectScore> e : c.subjects().entrySet()) {
                        SubjectScore s = e.getValue();
                        ObjectNode x = subj.putObject(e.getKey());
                        x.put("items", s.items());
                        x.put("accuracy_original", s.accuracyOriginal());
                        x.put("accuracy_release", s.accuracyRelease());
                        x.put("agreement", s.agreement());
                    }
                }
            }
        }
        return n;
    }

    static ObjectNode write(SpeedResult s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("prompt_tokens", s.promptTokens());
        n.put("gen_tokens", s.genTokens());
        n.put("repetitions", s.repetitions());
        putTps(n, "prefill_tps_original", s.prefillOriginal());
        putTps(n, "prefill_tps_release", s.prefillRelease());
        putTps(n, "decode_tps_original", s.decodeOriginal());
        putTps(n, "decode_tps_release", s.decodeRelease());
        n.put("slowdown_decode", s.slowdownDecode());
        n.put("slowdown_prefill", s.slowdownPrefill());
        n.put("slowdown_decode_median", s.slowdownDecodeMedian());
        n.put("slowdown_prefill_median", s.slowdownPrefillMedian());
        n.put("decode_tps_original_best", s.decodeOriginal().best());
        n.put("decode_tps_release_best", s.decodeRelease().best());
        n.put("prefill_tps_original_best", s.prefillOriginal().best());
        n.put("prefill_tps_release_best", s.prefillRelease().best());
        n.put("weight_bytes_per_token_original", s.weightBytesPerTokenOriginal());
        n.put("weight_bytes_per_token_release", s.weightBytesPerTokenRelease());
        n.put("slowdown_predicted_bytes", s.slowdownPredictedBytes());
        return n;
    }

    private static void putTps(ObjectNode n, String key, Tps t) {
        n.put(key, t.median());
        n.put(key + "_mean", t.mean());
        n.put(key + "_sd", t.sd());
    }

    static ObjectNode write(SweepPoint p) {
        ObjectNode n = JSON.createObjectNode();
        n.put("order", p.order());
        n.put("selection", p.selection());
        n.put("protected_neurons", p.protectedNeurons());
        n.put("total_neurons", p.totalNeurons());
        n.put("release_bytes", p.releaseBytes());
        n.put("slowdown_predicted_cost_model", p.slowdownPredictedCostModel());
        putScores(n, p.scores());
        if (p.speed() != null) {
            n.put("slowdown", p.slowdown());
            n.put("slowdown_prefill", p.slowdownPrefill());
            n.put("slowdown_predicted", p.slowdownPredicted());
            n.set("speed", write(p.speed()));
        }
        return n;
    }

    // ================================================================================================ reading

    /** A whole report.json (for instance to redraw its plots). */
    public static EvalReport read(JsonNode n) {
        JsonNode ri = n.get("release_info");
        ReleaseInfo info = ri == null || ri.isNull() ? null : new ReleaseInfo(integer(ri, "order"), string(ri, "selection"),
                dbl(ri, "fraction_mlp_params_in_clear"), lng(ri, "protected_neurons"), lng(ri, "total_neurons"));
        List<TextFidelity> data = new ArrayList<>();
        for (JsonNode d : req(n, "data")) data.add(textFidelity(d));
        Map<String, TaskResult> tasks = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : req(n, "tasks").properties()) tasks.put(e.getKey(), task(e.getValue()));
        List<SweepPoint> sweep = new ArrayList<>();
        JsonNode sw = n.get("sweep");
        if (sw != null) for (JsonNode p : sw) sweep.add(sweepPoint(p));
        List<String> plots = new ArrayList<>();
        for (JsonNode p : n.path("plots")) plots.add(p.asText());
        return new EvalReport(string(n, "tool"), string(n, "original"), string(n, "release"), info, integer(n, "window"),
                integer(n, "threads"), data, present(n, "greedy") ? greedy(n.get("greedy")) : null, tasks,
                present(n, "speed") ? speed(n.get("speed")) : null, sweep, sweep.isEmpty() ? null : string(n, "sweep_selection"),
                string(n, "machine_load_start"), string(n, "machine_load_end"), integer(n, "cores"), plots);
    }

    static Scores scores(JsonNode n) {
        return new Scores(lng(n, "positions"), dbl(n, "teacher_forced_agreement"), dbl(n, "kl_mean"), dbl(n, "kl_max"),
                dbl(n, "max_abs_logit_diff"), dbl(n, "nll_original"), dbl(n, "nll_release"), dbl(n, "perplexity_original"),
                dbl(n, "perplexity_release"));
    }

    static TextFidelity textFidelity(JsonNode n) {
        JsonNode ti = n.get("taylor_inputs");
        TaylorInputs inputs = ti == null || ti.isNull() ? null : new TaylorInputs(lng(ti, "values"),
                dbl(ti, "fraction_outside_calibrated_range"), dbl(ti, "fraction_beyond_twice_the_range"), dbl(ti, "max_abs_t"));
        return new TextFidelity(string(n, "file"), integer(n, "paragraphs_total"), integer(n, "paragraphs_skipped"),
                string(n, "skip_reason"), integer(n, "stream_tokens"), integer(n, "windows"), scores(n), inputs);
    }

    static Greedy greedy(JsonNode n) {
        List<Integer> fd = new ArrayList<>();
        for (JsonNode v : req(n, "first_divergence")) fd.add(v.asInt());
        return new Greedy(integer(n, "prompts"), integer(n, "prompt_tokens"), integer(n, "tokens"), integer(n, "identical"), fd);
    }

    static TaskResult task(JsonNode n) {
        String kind = string(n, "kind");
        switch (kind) {
            case "generation" -> {
                List<Answer> answers = new ArrayList<>();
                for (JsonNode a : req(n, "answers")) {
                    answers.add(new Answer(nullableString(a, "id"), nullableString(a, "gold"), nullableString(a, "original"),
                            nullableString(a, "release")));
                }
                return new GenerationTask(integer(n, "items"), dbl(n, "accuracy_original"), dbl(n, "accuracy_release"),
                        dbl(n, "agreement"), dbl(n, "identical_text_rate"), integer(n, "max_new_tokens"), answers);
            }
            case "multiple_choice" -> {
                List<Prediction> ps = new ArrayList<>();
                for (JsonNode p : req(n, "predictions")) {
                    if (!p.isArray() || p.size() != 4) throw new TaylorMlpException("a prediction is not [id, gold, original, release]: " + p);
                    ps.add(new Prediction(p.get(0).asText(), p.get(1).asInt(), p.get(2).asInt(), p.get(3).asInt()));
                }
                Map<String, SubjectScore> subjects = null;
                JsonNode s = n.get("subjects");
                if (s != null) {
                    subjects = new LinkedHashMap<>();
                    for (Map.Entry<String, JsonNode> e : s.properties()) {
                        JsonNode x = e.getValue();
                        subjects.put(e.getKey(), new SubjectScore(integer(x, "items"), dbl(x, "accuracy_original"),
                                dbl(x, "accuracy_release"), dbl(x, "agreement")));
                    }
                }
                return new ChoiceTask(integer(n, "items"), dbl(n, "accuracy_original"), dbl(n, "accuracy_release"),
                        dbl(n, "agreement"), dbl(n, "chance"), ps, subjects);
            }
            default -> throw new TaylorMlpException("unknown task kind '" + kind + "'");
        }
    }

    static SpeedResult speed(JsonNode n) {
        return new SpeedResult(integer(n, "prompt_tokens"), integer(n, "gen_tokens"), integer(n, "repetitions"),
                tps(n, "prefill_tps_original"), tps(n, "prefill_tps_release"), tps(n, "decode_tps_original"),
                tps(n, "decode_tps_release"), lng(n, "weight_bytes_per_token_original"), lng(n, "weight_bytes_per_token_release"));
    }

    private static Tps tps(JsonNode n, String key) {
        return new Tps(dbl(n, key), dbl(n, key + "_mean"), dbl(n, key + "_sd"), dbl(n, key + "_best"));
    }

    static SweepPoint sweepPoint(JsonNode n) {
        return new SweepPoint(integer(n, "order"), string(n, "selection"), lng(n, "protected_neurons"), lng(n, "total_neurons"),
                lng(n, "release_bytes"), dbl(n, "slowdown_predicted_cost_model"), scores(n),
                present(n, "speed") ? speed(n.get("speed")) : null);
    }

    private static boolean present(JsonNode n, String key) {
        return n.hasNonNull(key);
    }

    private static JsonNode req(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null) throw new TaylorMlpException("missing key '" + key + "'");
        return v;
    }

    /** A number; null and the strings "NaN" / "Infinity" (how Jackson writes non-finite doubles) are read as such. */
    private static double dbl(JsonNode n, String key) {
        JsonNode v = req(n, key);
        if (v.isNull()) return Double.NaN;
        if (v.isNumber()) return v.asDouble();
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.asText());
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new TaylorMlpException("key '" + key + "' is not a number: " + v);
    }

    private static long lng(JsonNode n, String key) {
        JsonNode v = req(n, key);
        if (!v.canConvertToLong()) throw new TaylorMlpException("key '" + key + "' is not an integer: " + v);
        return v.asLong();
    }

    private static int integer(JsonNode n, String key) {
        JsonNode v = req(n, key);
        if (!v.canConvertToInt()) throw new TaylorMlpException("key '" + key + "' is not an integer: " + v);
        return v.asInt();
    }

    private static String string(JsonNode n, String key) {
        JsonNode v = req(n, key);
        if (!v.isTextual()) throw new TaylorMlpException("key '" + key + "' is not a string: " + v);
        return v.asText();
    }

    private static String nullableString(JsonNode n, String key) {
        JsonNode v = req(n, key);
        return v.isNull() ? null : v.asText();
    }
}
