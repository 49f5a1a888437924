package org.taylormlp.eval;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.AtomicFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The files an eval leaves in its output folder: the PNG plots, report.json and report.md, each written atomically. */
final class ReportFiles {
    private ReportFiles() {}

    /** Writes the outputs and returns the report with the names of its plots. */
    static EvalReport write(EvalReport report, EvalOptions o) {
        List<String> plots = o.plots() ? Plots.write(report, o.out()) : List.of();
        EvalReport r = report.withPlots(plots);
        writeText(o.out().resolve("report.json"), ReportJson.text(ReportJson.write(r)));
        writeText(o.out().resolve("report.md"), ReportMarkdown.render(r, o));
        return r;
    }

    static void writeText(Path f, String s) {
        try {
            AtomicFiles.writeString(f, s);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }
}
