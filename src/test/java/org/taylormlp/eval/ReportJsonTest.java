package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TaylorMlpException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** report.json's keys (the contract scripts and eval --resume read), its round trip, and checkpoints that cannot be read. */
class ReportJsonTest {
    static EvalReport.Scores scores(double agreement, long positions) {
        return new EvalReport.Scores(positions, agreement, 1e-6, 2e-5, 0.03, 100.5, 100.25, 3.2, Double.NaN);
    }

    static EvalReport.SpeedResult speed() {
        return new EvalReport.SpeedResult(16, 8, 2, new EvalReport.Tps(100, 99, 1, 102), new EvalReport.Tps(50, 49, 1, 51),
                new EvalReport.Tps(80, 79, 2, 84), new EvalReport.Tps(40, 39, 2, 42), 1000, 1500);
    }

    static EvalReport full() {
        Map<String, EvalReport.TaskResult> tasks = new LinkedHashMap<>();
        tasks.put("mmlu", new EvalReport.ChoiceTask(2, 0.5, 0.5, 1.0, 0.25,
                List.of(new EvalReport.Prediction("a/1", 1, 1, 1), new EvalReport.Prediction("b/2", 0, 2, 2)),
                Map.of("a", new EvalReport.SubjectScore(1, 1.0, 1.0, 1.0))));
        tasks.put("pubmedqa", new EvalReport.ChoiceTask(1, 0.0, 0.0, 1.0, 1 / 3.0, List.of(new EvalReport.Prediction("p", 0, 1, 1)), null));
        tasks.put("gsm8k", new EvalReport.GenerationTask(1, 0.0, 0.0, 1.0, 1.0, 8, List.of(new EvalReport.Answer("g/1", "42", null, null))));
        return new EvalReport("taylormlp test", "orig.bin", "rel.safetensors", new EvalReport.ReleaseInfo(8, "radius:0.5", 0.85, 128, 860),
                128, 1,
                List.of(new EvalReport.TextFidelity("/x/a.txt", 40, 15, "calibration", 600, 4, scores(1.0, 252),
                                new EvalReport.TaylorInputs(65536, 0, 0, 0.65)),
                        new EvalReport.TextFidelity("/x/b.txt", 10, 0, "none", 300, 2, scores(0.5, 100), null)),
                new EvalReport.Greedy(3, 8, 12, 2, List.of(-1, 5, -1)), tasks, speed(),
                List.of(new EvalReport.SweepPoint(0, "radius:0.5", 128, 860, 1234, 1.1, scores(0.2, 150), null),
                        new EvalReport.SweepPoint(8, "radius:0.5", 128, 860, 2345, 1.4, scores(0.99, 150), speed())),
                "radius:0.5", "0.1 0.2 0.3", "0.4 0.5 0.6", 2, List.of("tasks.png"));
    }

    @Test
    void reportJsonKeepsItsKeysAndReadsBack() {
        EvalReport r = full();
        ObjectNode n = ReportJson.write(r);
        List<String> top = new ArrayList<>();
        n.fieldNames().forEachRemaining(top::add);
        assertThat(top).containsExactly("tool", "original", "release", "release_info", "window", "threads", "data",
                "teacher_forced_agreement", "kl_mean", "kl_max", "max_abs_logit_diff", "perplexity_original", "perplexity_release",
                "perplexity_file", "greedy", "greedy_match_rate", "tasks", "speed", "slowdown", "slowdown_predicted", "sweep",
                "sweep_selection", "machine_load_start", "machine_load_end", "cores", "plots");
        // positions-weighted over the files; perplexity is the first file's
        assertThat(n.get("teacher_forced_agreement").asDouble()).isEqualTo((252 * 1.0 + 100 * 0.5) / 352);
        assertThat(n.get("perplexity_file").asText()).isEqualTo("/x/a.txt");
        assertThat(n.get("greedy_match_rate").asDouble()).isEqualTo(2 / 3.0);
        assertThat(n.get("slowdown").asDouble()).isEqualTo(84 / 42.0);
        assertThat(n.get("slowdown_predicted").asDouble()).isEqualTo(1.5);
        assertThat(n.at("/speed/slowdown_prefill_median").asDouble()).isEqualTo(2.0);
        assertThat(n.at("/sweep/0").has("slowdown")).isFalse();
        assertThat(n.at("/sweep/1/slowdown").asDouble()).isEqualTo(2.0);
        assertThat(n.at("/tasks/mmlu/predictions/1").toString()).isEqualTo("[\"b/2\",0,2,2]");
        assertThat(n.at("/tasks/mmlu/subjects/a/items").asInt()).isEqualTo(1);
        assertThat(n.at("/tasks/pubmedqa").has("subjects")).isFalse();
        assertThat(n.at("/tasks/gsm8k/answers/0/original").isNull()).isTrue();
        assertThat(n.at("/data/1").has("taylor_inputs")).isFalse();

        String text = ReportJson.text(n);
        assertThat(text).contains("\"perplexity_release\" : \"NaN\"");
        EvalReport back = ReportJson.read(n);
        assertThat(back).isEqualTo(r);
        assertThat(ReportJson.text(ReportJson.write(back))).isEqualTo(text);
    }

    @Test
    void aReportWithoutTextOrSpeedHasNullHeadlines() {
        EvalReport r = new EvalReport("t", "o", "r", null, 512, 1, List.of(), null, Map.of(), null, List.of(), null, "a", "b", 2, List.of());
        ObjectNode n = ReportJson.write(r);
        for (String k : List.of("teacher_forced_agreement", "kl_mean", "perplexity_release", "greedy_match_rate", "slowdown")) {
            assertThat(n.get(k).isNull()).as(k).isTrue();
        }
        for (String k : List.of("release_info", "perplexity_file", "greedy", "speed", "slowdown_predicted", "sweep", "sweep_selection")) {
            assertThat(n.has(k)).as(k).isFalse();
        }
        assertThat(ReportJson.read(n)).isEqualTo(r);
        assertThat(ReportTerminal.summaryLine(r.summary())).contains("agreement n/a").contains("slowdown n/a");
    }

    @Test
    void aMissingKeyIsNamed() {
        ObjectNode n = ReportJson.write(full());
        ((ObjectNode) n.at("/data/0")).remove("kl_max");
        assertThatThrownBy(() -> ReportJson.read(n)).isInstanceOf(TaylorMlpException.class).hasMessageContaining("'kl_max'");
        ObjectNode t = ReportJson.write(full().tasks().get("gsm8k"));
        t.put("kind", "essay");
        assertThatThrownBy(() -> ReportJson.task(t)).isInstanceOf(TaylorMlpException.class).hasMessageContaining("essay");
    }

    @Test
    void aCheckpointThatCannotBeReadIsRecomputed(@TempDir Path dir) throws Exception {
        AtomicInteger computed = new AtomicInteger();
        EvalReport.SpeedResult s = speed();
        Checkpoints first = new Checkpoints(dir, false, "inputs");
        first.section("speed", "k", () -> { computed.incrementAndGet(); return s; }, ReportJson::write, ReportJson::speed);
        Checkpoints again = new Checkpoints(dir, true, "inputs");
        assertThat(again.section("speed", "k", () -> { computed.incrementAndGet(); return s; }, ReportJson::write, ReportJson::speed))
                .isEqualTo(s);
        assertThat(computed).hasValue(1);
        // a saved result missing a field (another format) is recomputed, not half-read
        Path f = dir.resolve("speed.json");
        JsonNode saved = ReportJson.JSON.readTree(f.toFile());
        ((ObjectNode) saved.get("result")).remove("decode_tps_release_best");
        Files.writeString(f, ReportJson.text(saved));
        assertThat(again.section("speed", "k", () -> { computed.incrementAndGet(); return s; }, ReportJson::write, ReportJson::speed))
                .isEqualTo(s);
        assertThat(computed).hasValue(2);
        // other parameters: recomputed
        again.section("speed", "other", () -> { computed.incrementAndGet(); return s; }, ReportJson::write, ReportJson::speed);
        assertThat(computed).hasValue(3);
    }
}
