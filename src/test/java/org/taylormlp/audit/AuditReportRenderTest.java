package org.taylormlp.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The report renderers on hand-built typed reports: which keys appear when (failed attacks, no original, a regression
 * that never reached its tolerance), and that report.md says the same figures as report.json.
 */
class AuditReportRenderTest {
    private static final ReleaseReader.Info INFO = new ReleaseReader.Info(16, ModelConfig.Activation.SILU, true, "radius:0.7",
            0f, false, new int[]{3, 0}, new double[]{0.4, 0}, 0.5, 0.75, "abc", "taylormlp test", 2);

    private static AuditReport.ZeroQuery zeroQuery(boolean scored) {
        var unsure = List.of(new AuditReport.UnsureNeuron(2, false, Double.NaN, Double.NaN, 0.1f, Double.NaN, 0.5, "no root"));
        var score = scored ? new AuditReport.LayerScore(1e-7, 2e-7, 1.5e-7, 0.999999, 2, 1e-7, 0.3,
                List.of(new AuditReport.BadNeuron(2, 17, 0.3, 1.0, 2.0, 1e-3, 1e-4, "no root"))) : null;
        var layers = List.of(new AuditReport.ZeroQueryLayer(0, 3, 2, 2, 1e-8, 2e-8, 1e-9, unsure, score),
                new AuditReport.ZeroQueryLayer(1, 0, 0, 0, 0, 0, 0, List.of(), null));
        return new AuditReport.ZeroQuery("hidden_gated", "z0 hidden, 1-D solve for r with z0 = -bias*r", 16,
                ModelConfig.Activation.SILU, true, scored, 0.01, 1e-6, 3, 2, 2, 0, 1e-8, 2e-8, 1e-9,
                scored ? 1.5e-7 : Double.NaN, scored ? 1e-7 : Double.NaN, scored ? 2e-7 : Double.NaN,
                scored ? 0.999999 : Double.NaN, 2, 1, 0, 2.0 / 3, scored ? "measured against the original" : "self-check", layers);
    }

    private static AuditReport report(Path original, List<AuditReport.Section> sections) {
        return new AuditReport(Path.of("r.safetensors"), INFO, 0x1p-24, original, "text file t.txt", 123, 2, "taylormlp x",
                "2026-01-01T00:00:00Z", 1.5, Audit.Headline.of(sections, INFO, null), sections);
    }

    private static List<String> keys(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) out.add(it.next());
        return out;
    }

    @Test
    void failedAttackKeepsItsErrorAndHeadlineSaysNotMeasured() throws Exception {
        var sections = List.of(new AuditReport.Section("zero_query", "Attack 1", zeroQuery(false), null, 0.02),
                new AuditReport.Section("regression", "Attack 2", null, "normal equations not solvable", 0.5));
        AuditReport r = report(null, sections);
        JsonNode j = new ObjectMapper().readTree(AuditJson.write(AuditJson.tree(r)));
        // the two figures that need an original are absent, not null; the others are null when not measured
        assertThat(keys(j)).startsWith("fraction_neurons_recovered", "fraction_params_in_clear", "regression_tokens_needed",
                "recovered_speedup", "recovered_model", "release");
        assertThat(j.get("regression_tokens_needed").isNull()).isTrue();
        assertThat(j.get("fraction_params_in_clear").asDouble()).isEqualTo(0.75);
        assertThat(j.get("fraction_neurons_recovered").asDouble()).isEqualTo(2.0 / 3);
        assertThat(j.get("original").isNull()).isTrue();
        assertThat(keys(j.path("attacks"))).containsExactly("zero_query", "regression");
        assertThat(keys(j.path("attacks").path("regression"))).containsExactly("error", "wall_seconds");
        JsonNode zq = j.path("attacks").path("zero_query");
        assertThat(zq.has("relative_error")).isFalse();
        assertThat(zq.path("layers").get(0).has("down_relative_error")).isFalse();
        assertThat(zq.path("layers").get(0).path("neurons_failing_self_check").get(0).path("stored_bias").asText()).isEqualTo("0.1");
        String md = AuditMarkdown.write(r);
        assertThat(md).contains("; no original given (self-checks only)", "| `regression_tokens_needed` | n/a |",
                "| `fraction_params_in_clear` | 0.75 |", "## Attack 2 (0.5 s)\n\n**Failed:** normal equations not solvable\n",
                "No original given: 2 of 3 neurons pass the self-check")
                .doesNotContain("recovered_relative_error");
    }

    @Test
    void scoredRunReportsEveryAttack() throws Exception {
        var tf = new Fidelity.TeacherForced(100, 0.99, 1e-4, 1e-3, 0.05, 200, 201);
        var reg = new AuditReport.Regression(true, "text file t.txt", 1e-4, 300, 0.4, 0.6, null,
                List.of(new AuditReport.RegressionLayer(0, 3, List.of(
                        new AuditReport.LayerSweepPoint(32, "normal equations not solvable", Double.NaN, Double.NaN, Double.NaN),
                        new AuditReport.LayerSweepPoint(300, null, 1e-3, 2e-3, 0)))),
                List.of(new AuditReport.SweepPoint(32, Double.NaN, Double.NaN), new AuditReport.SweepPoint(300, 1e-3, 2e-3)));
        var sp = new AuditReport.Speedup(Path.of("out/recovered.gguf"), 0.1, true, null, null, true, 4, 16, 4, 3, tf, tf,
                64, 2, 0.64, 0.32, 0.256, 2000, 1000);
        var learn = new AuditReport.Learning("text file t.txt", "original", true, 200, 100, false, 20, 8, 1.0,
                List.of(new AuditReport.Budget(0.1, 20, tf, List.of(new AuditReport.LayerMse(0, 0.5), new AuditReport.LayerMse(1, 0.25)))), tf);
        var sections = List.of(new AuditReport.Section("zero_query", "Attack 1", zeroQuery(true), null, 0.02),
                new AuditReport.Section("regression", "Attack 2", reg, null, 0.7),
                new AuditReport.Section("speedup", "Attack 3", sp, null, 1.0),
                new AuditReport.Section("learning", "Attack 4", learn, null, 2.0));
        AuditReport r = new AuditReport(Path.of("r.safetensors"), INFO, 0x1p-24, Path.of("orig.bin"), "text file t.txt", 123, 2,
                "taylormlp x", "2026-01-01T00:00:00Z", 1.5, Audit.Headline.of(sections, INFO, Path.of("out/recovered.gguf")), sections);
        assertThat(r.headline().recoveredSpeedup()).isEqualTo(2.0);
        assertThat(r.headline().recoveredGreedyIdentical()).isTrue();
        assertThat(r.headline().recoveredRelativeError()).isEqualTo(1.5e-7);
        JsonNode j = new ObjectMapper().readTree(AuditJson.write(AuditJson.tree(r)));
        assertThat(keys(j).subList(0, Audit.STABLE_KEYS.size())).isEqualTo(Audit.STABLE_KEYS);
        assertThat(j.get("recovered_speedup").asDouble()).isEqualTo(2.0);
        assertThat(j.get("recovered_model").asText()).isEqualTo("out/recovered.gguf");
        JsonNode zq = j.path("attacks").path("zero_query");
        assertThat(zq.get("relative_error").asDouble()).isEqualTo(1.5e-7);
        assertThat(zq.path("layers").get(0).path("neurons_not_recovered").get(0).path("original_index").asInt()).isEqualTo(17);
        assertThat(zq.path("layers").get(1).has("down_relative_error")).isFalse();
        JsonNode rg = j.path("attacks").path("regression");
        assertThat(keys(rg.path("layers").get(0).path("sweep").get(0))).containsExactly("tokens", "error");
        assertThat(keys(rg.path("layers").get(0).path("sweep").get(1)))
                .containsExactly("tokens", "relative_error_vs_zero_query", "relative_error_vs_original", "ridge");
        assertThat(rg.get("tokens_needed").isNull()).isTrue();
        JsonNode s = j.path("attacks").path("speedup");
        assertThat(s.get("release_ms_per_token").asDouble()).isCloseTo(10.0, within(1e-12));
        assertThat(s.get("weight_bytes_ratio").asDouble()).isEqualTo(2.0);
        assertThat(s.path("teacher_forced_release_vs_original").get("perplexity_candidate").asDouble()).isEqualTo(Math.exp(2.01));
        assertThat(s.has("recovered_config")).isFalse();
        JsonNode l = j.path("attacks").path("learning");
        assertThat(l.path("budgets").get(0).get("mean_held_out_relative_mse").asDouble()).isEqualTo(0.375);
        assertThat(l.path("budgets").get(0).has("teacher_forced_vs_original")).isTrue();
        assertThat(l.has("release_vs_original")).isTrue();
        String md = AuditMarkdown.write(r);
        assertThat(md).contains("; original (used only to score): `orig.bin`", "| `recovered_speedup` | 2.0 |",
                "| 0 | 3 | 2 | 1.00e-08 | 2.00e-08 | 1.00e-07 | 2.00e-07 | 0.999999000 | 2/3 |",
                "| 1 | 0 | 0 | 0.00e+00 | 0.00e+00 | – | – | – | 0/0 |",
                "no T in the sweep reached 1.0E-4 relative error.", "| 300 | 0.00100 | 0.00200 |",
                "release = original on 3/4", "release 10.000 ms/token, recovered 5.000 ms/token, original 4.000 ms/token → **speed-up 2.00x**",
                "| 10 % | 20 | 0.9900 |", "0.375 |", "For comparison, the release itself: agreement 0.9900");
    }
}
