package org.taylormlp.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** eval's terminal line and report.md are for people (rounded, table-safe); report.json keeps full precision. */
class ReportFormattingTest {
    @Test
    void theSummaryLineRoundsForPeople() throws Exception {
        var r = new ObjectMapper().readTree("""
                {"teacher_forced_agreement": 0.9960629921259843, "kl_mean": 5.77E-7, "kl_max": 1.234567E-4,
                 "max_abs_logit_diff": 0.0123456789, "perplexity_original": 7.123456789, "perplexity_release": 7.1234999,
                 "greedy_match_rate": 0.98, "slowdown": 1.8567}""");
        String line = Evaluation.summaryLine(r);
        assertThat(line).contains("agreement 0.9961").contains("KL mean 5.77e-07").contains("max 0.000123")
                .contains("max |dlogit| 0.0123").contains("ppl 7.123 vs 7.123").contains("greedy match 0.980")
                .contains("slowdown 1.86x").doesNotContain("0.9960629921259843").doesNotContain("E-7");
        var missing = new ObjectMapper().readTree("{\"teacher_forced_agreement\": 1.0}");
        assertThat(Evaluation.summaryLine(missing)).contains("agreement 1.0000").contains("slowdown n/a");
    }

    @Test
    void tableCellsEscapeTheirPipes() {
        assertThat(ReportMarkdown.cell("max |logit difference|")).isEqualTo("max \\|logit difference\\|");
        assertThat(ReportMarkdown.cell("plain")).isEqualTo("plain");
    }
}
