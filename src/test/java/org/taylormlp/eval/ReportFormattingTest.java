package org.taylormlp.eval;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** eval's terminal line and report.md are for people (rounded, table-safe); report.json keeps full precision. */
class ReportFormattingTest {
    @Test
    void theSummaryLineRoundsForPeople() {
        var r = new EvalReport.Summary(0.9960629921259843, 5.77E-7, 1.234567E-4, 0.0123456789, 7.123456789, 7.1234999, 0.98, 1.8567);
        String line = ReportTerminal.summaryLine(r);
        assertThat(line).contains("agreement 0.9961").contains("KL mean 5.77e-07").contains("max 0.000123")
                .contains("max |dlogit| 0.0123").contains("ppl 7.123 vs 7.123").contains("greedy match 0.980")
                .contains("slowdown 1.86x").doesNotContain("0.9960629921259843").doesNotContain("E-7");
        var missing = new EvalReport.Summary(1.0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        assertThat(ReportTerminal.summaryLine(missing)).contains("agreement 1.0000").contains("slowdown n/a");
    }

    @Test
    void tableCellsEscapeTheirPipes() {
        assertThat(ReportMarkdown.cell("max |logit difference|")).isEqualTo("max \\|logit difference\\|");
        assertThat(ReportMarkdown.cell("plain")).isEqualTo("plain");
    }
}
