package org.taylormlp.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.taylor.ReleaseReader;

import java.util.Map;

/** Writes an {@link AuditReport} as report.json (the keys scripts read; see {@link Audit#STABLE_KEYS}). */
public final class AuditJson {
    private AuditJson() {}

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The report as a JSON tree (callers may add sections, such as the fingerprint check, before writing it). */
    public static ObjectNode tree(AuditReport r) {
        ObjectNode root = JSON.createObjectNode();
        for (Map.Entry<String, Object> e : headline(r.headline()).entrySet()) {
            Object v = e.getValue();
            String k = e.getKey();
            if (v != null) root.set(k, JSON.valueToTree(v));
            else if (!k.equals("recovered_relative_error") && !k.equals("recovered_greedy_identical")) root.putNull(k);
        }
        ReleaseReader.Info info = r.releaseInfo();
        ObjectNode rj = root.putObject("release");
        rj.put("path", r.release().toString());
        rj.put("format_version", info.formatVersion());
        rj.put("tool_version", info.toolVersion());
        rj.put("order", info.order());
        rj.put("activation", info.activation().name());
        rj.put("gated", info.gated());
        rj.put("selection", info.selection());
        rj.put("z0_published", info.z0Published());
        rj.put("fraction_mlp_params_in_clear", info.fractionMlpParamsInClear());
        rj.put("theta_roundoff", r.thetaRoundoff());
        rj.set("protected_per_layer", JSON.valueToTree(info.protectedPerLayer()));
        root.put("original", r.original() == null ? null : r.original().toString());
        root.put("text_source", r.textSource());
        root.put("text_tokens", r.textTokens());
        root.put("threads", r.threads());
        root.put("tool_version", r.toolVersion());
        root.put("date", r.date());
        root.put("total_seconds", r.totalSeconds());
        ObjectNode sections = root.putObject("attacks");
        for (AuditReport.Section s : r.attacks()) {
            ObjectNode sj = sections.putObject(s.id());
            switch (s.result()) {
                case null -> sj.put("error", s.error());
                case AuditReport.ZeroQuery z -> zeroQuery(sj, z);
                case AuditReport.Regression g -> regression(sj, g);
                case AuditReport.Speedup p -> speedup(sj, p);
                case AuditReport.Learning l -> learning(sj, l);
            }
            sj.put("wall_seconds", s.wallSeconds());
        }
        return root;
    }

    /** report.json's text. */
    public static String write(ObjectNode tree) {
        try {
            return JSON.writeValueAsString(tree) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new org.taylormlp.TaylorMlpException("cannot write report.json: " + e.getMessage(), e);
        }
    }

    /** The headline's figures under their report.json keys, in {@link Audit#STABLE_KEYS} order (values may be null). */
    static Map<String, Object> headline(Audit.Headline h) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("recovered_relative_error", h.recoveredRelativeError());
        m.put("fraction_neurons_recovered", h.fractionNeuronsRecovered());
        m.put("fraction_params_in_clear", h.fractionParamsInClear());
        m.put("regression_tokens_needed", h.regressionTokensNeeded());
        m.put("recovered_greedy_identical", h.recoveredGreedyIdentical());
        m.put("recovered_speedup", h.recoveredSpeedup());
        m.put("recovered_model", h.recoveredModel());
        assert m.keySet().equals(new java.util.LinkedHashSet<>(Audit.STABLE_KEYS));
        return m;
    }

    private static void zeroQuery(ObjectNode json, AuditReport.ZeroQuery z) {
        ArrayNode layers = json.putArray("layers");
        for (AuditReport.ZeroQueryLayer l : z.layers()) {
            ObjectNode lj = layers.addObject();
            ArrayNode unsure = lj.putArray("neurons_failing_self_check");
            for (AuditReport.UnsureNeuron u : l.neuronsFailingSelfCheck()) {
                ObjectNode bj = unsure.addObject();
                bj.put("protected_index", u.protectedIndex());
                bj.put("ok", u.ok());
                bj.put("z0", u.z0());
                bj.put("r", u.r());
                bj.put("stored_bias", u.storedBias());
                bj.put("fit_residual", u.fitResidual());
                bj.put("rank1_residual", u.rank1Residual());
                bj.put("method", u.method());
            }
            lj.put("layer", l.layer());
            lj.put("protected", l.protectedNeurons());
            lj.put("solved", l.solved());
            lj.put("self_checked", l.selfChecked());
            lj.put("max_rank1_residual", l.maxRank1Residual());
            lj.put("max_fit_residual", l.maxFitResidual());
            if (z.gated()) lj.put("max_gated_bias_inconsistency", l.maxGatedBiasInconsistency());
            AuditReport.LayerScore s = l.score();
            if (s != null) {
                lj.put("down_relative_error", s.downRelativeError());
                lj.put("in_relative_error", s.inRelativeError());
                lj.put("relative_error", s.relativeError());
                lj.put("cosine_down", s.cosineDown());
                lj.put("neurons_recovered", s.neuronsRecovered());
                lj.put("median_neuron_error", s.medianNeuronError());
                lj.put("max_neuron_error", s.maxNeuronError());
                ArrayNode bad = lj.putArray("neurons_not_recovered");
                for (AuditReport.BadNeuron b : s.neuronsNotRecovered()) {
                    ObjectNode bj = bad.addObject();
                    bj.put("protected_index", b.protectedIndex());
                    bj.put("original_index", b.originalIndex());
                    bj.put("error", b.error());
                    bj.put("z0", b.z0());
                    bj.put("r", b.r());
                    bj.put("fit_residual", b.fitResidual());
                    bj.put("rank1_residual", b.rank1Residual());
                    bj.put("method", b.method());
                }
            }
        }
        json.put("seconds", z.seconds());
        json.put("mode", z.mode());
        json.put("tolerance", z.tolerance());
        json.put("neurons_protected", z.neuronsProtected());
        json.put("neurons_solved", z.neuronsSolved());
        json.put("neurons_self_checked", z.neuronsSelfChecked());
        json.put("sign_ambiguous", z.signAmbiguous());
        json.put("max_rank1_residual", z.maxRank1Residual());
        json.put("max_fit_residual", z.maxFitResidual());
        if (z.gated()) json.put("max_gated_bias_inconsistency", z.maxGatedBiasInconsistency());
        if (z.scored()) {
            json.put("relative_error", z.relativeError());
            json.put("down_relative_error", z.downRelativeError());
            json.put("in_relative_error", z.inRelativeError());
            json.put("cosine_down", z.cosineDown());
            json.put("neurons_recovered", z.neuronsRecovered());
            json.put("sign_errors", z.signErrors());
            json.put("duplicate_matches", z.duplicateMatches());
        }
        json.put("fraction_neurons_recovered", z.fractionNeuronsRecovered());
        json.put("fraction_basis", z.fractionBasis());
    }

    private static void regression(ObjectNode json, AuditReport.Regression g) {
        ArrayNode layers = json.putArray("layers");
        for (AuditReport.RegressionLayer l : g.layers()) {
            ObjectNode lj = layers.addObject();
            lj.put("layer", l.layer());
            lj.put("protected", l.protectedNeurons());
            ArrayNode sweep = lj.putArray("sweep");
            for (AuditReport.LayerSweepPoint p : l.sweep()) {
                ObjectNode sj = sweep.addObject();
                sj.put("tokens", p.tokens());
                if (p.error() != null) {
                    sj.put("error", p.error());
                    continue;
                }
                sj.put("relative_error_vs_zero_query", p.relativeErrorVsZeroQuery());
                if (g.scored()) sj.put("relative_error_vs_original", p.relativeErrorVsOriginal());
                sj.put("ridge", p.ridge());
            }
        }
        ArrayNode sweep = json.putArray("sweep");
        for (AuditReport.SweepPoint p : g.sweep()) {
            ObjectNode sj = sweep.addObject();
            sj.put("tokens", p.tokens());
            sj.put("relative_error_vs_zero_query", p.relativeErrorVsZeroQuery());
            if (g.scored()) sj.put("relative_error_vs_original", p.relativeErrorVsOriginal());
        }
        json.put("tolerance", g.tolerance());
        json.put("tokens_recorded", g.tokensRecorded());
        json.put("record_seconds", g.recordSeconds());
        json.put("seconds", g.seconds());
        if (g.tokensNeeded() != null) json.put("tokens_needed", g.tokensNeeded());
        else json.putNull("tokens_needed");
    }

    private static void speedup(ObjectNode json, AuditReport.Speedup p) {
        json.put("recovered_model", p.recoveredModel().toString());
        json.put("write_seconds", p.writeSeconds());
        json.put("config_matches_release", p.configMatchesRelease());
        if (!p.configMatchesRelease()) {
            json.put("recovered_config", p.recoveredConfig());
            json.put("release_config", p.releaseConfig());
        }
        if (p.hasOriginal()) {
            json.put("greedy_prompts", p.greedyPrompts());
            json.put("greedy_tokens", p.greedyTokens());
            json.put("greedy_identical_recovered_vs_original", p.greedyIdentical());
            json.put("greedy_identical_release_vs_original", p.greedyIdenticalRelease());
            teacherForced(json.putObject("teacher_forced_recovered_vs_original"), p.tfRecovered());
            teacherForced(json.putObject("teacher_forced_release_vs_original"), p.tfRelease());
        } else {
            json.put("greedy_identical_recovered_vs_release", p.greedyIdentical());
            json.put("greedy_prompts", p.greedyPrompts());
            teacherForced(json.putObject("teacher_forced_recovered_vs_release"), p.tfRecovered());
        }
        int n = p.decodeTokens();
        json.put("decode_tokens", n);
        json.put("release_ms_per_token", 1e3 * p.releaseSeconds() / n);
        json.put("recovered_ms_per_token", 1e3 * p.recoveredSeconds() / n);
        json.put("release_weight_bytes_per_token", p.releaseWeightBytesPerToken());
        json.put("recovered_weight_bytes_per_token", p.recoveredWeightBytesPerToken());
        json.put("recovered_speedup", p.speedup());
        json.put("weight_bytes_ratio", p.weightBytesRatio());
        if (p.hasOriginal()) {
            json.put("original_ms_per_token", 1e3 * p.originalSeconds() / n);
            json.put("recovered_vs_original_time_ratio", p.recoveredSeconds() / p.originalSeconds());
        }
    }

    private static void learning(ObjectNode json, AuditReport.Learning l) {
        ArrayNode budgets = json.putArray("budgets");
        for (AuditReport.Budget b : l.budgets()) {
            ObjectNode bj = budgets.addObject();
            bj.put("fraction", b.fraction());
            bj.put("tokens", b.tokens());
            teacherForced(bj.putObject("teacher_forced_vs_" + l.reference()), b.fidelity());
            ArrayNode le = bj.putArray("held_out_relative_mse");
            for (AuditReport.LayerMse e : b.heldOutRelativeMse()) {
                ObjectNode o = le.addObject();
                o.put("layer", e.layer());
                o.put("value", e.value());
            }
            bj.put("mean_held_out_relative_mse", b.meanHeldOutRelativeMse());
        }
        if (l.baseline() != null) teacherForced(json.putObject("release_vs_original"), l.baseline());
        json.put("pool_tokens", l.poolTokens());
        json.put("held_out_tokens", l.heldOutTokens());
        json.put("held_out_overlaps_pool", l.heldOutOverlapsPool());
        json.put("steps", l.steps());
        json.put("batch", l.batch());
        json.put("seconds", l.seconds());
    }

    private static void teacherForced(ObjectNode o, Fidelity.TeacherForced tf) {
        o.put("positions", tf.positions());
        o.put("agreement", tf.agreement());
        o.put("kl_mean", tf.klMean());
        o.put("kl_max", tf.klMax());
        o.put("max_abs_logit_diff", tf.maxAbsLogit());
        o.put("perplexity_reference", tf.perplexityOriginal());
        o.put("perplexity_candidate", tf.perplexityRelease());
    }
}
