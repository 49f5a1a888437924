package org.taylormlp.eval;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.Version;
import org.taylormlp.nn.Transformer;
import org.taylormlp.runtime.Engine;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code eval} workflow: fidelity of a release to its original on text ({@link FidelityRun} over
 * {@link HeldOutText}), task answers ({@link TaskRun}), speed ({@link SpeedRun}), and an optional sweep over the Taylor
 * order N ({@link OrderSweep}). Every section's result is saved under {@code OUT/checkpoints/} as soon as it is done
 * ({@link Checkpoints}); resume reuses sections whose parameters and input files are unchanged, so an interrupted run
 * continues where it stopped. Writes {@code report.json}, {@code report.md} and PNG plots ({@link ReportFiles}).
 */
public final class Evaluation {
    private Evaluation() {}

    /** Runs everything, writes the output files and returns the report. */
    public static EvalReport run(EvalOptions o) {
        try {
            Files.createDirectories(o.out().resolve("checkpoints"));
        } catch (IOException e) {
            throw new TaylorMlpException("cannot create " + o.out() + ": " + e.getMessage(), e);
        }
        if (!o.orders().isEmpty() && o.calibration() == null) {
            throw new TaylorMlpException("--orders needs --calibration FILE (the statistics the sweep re-protects from)");
        }
        String loadStart = MachineLoad.average();
        Checkpoints cp = new Checkpoints(o.out().resolve("checkpoints"), o.resume(),
                Checkpoints.identity(o.original()) + "|" + Checkpoints.identity(o.release()));
        try (Engine a = Engine.open(o.original(), o.tokenizer(), o.threads(), 4096);
             Engine b = Engine.open(o.release(), null, o.threads(), 4096)) {
            Transformer ta = a.transformer(), tb = b.transformer();
            if (ta.config().vocabSize() != tb.config().vocabSize()) {
                throw new TaylorMlpException("the release's vocabulary (" + tb.config().vocabSize() + ") differs from the original's ("
                        + ta.config().vocabSize() + ")");
            }
            Tokenizer tok = a.model().tokenizer();
            int ctx = Math.min(ta.maxContext(), tb.maxContext());
            int window = o.window() > 0 ? Math.min(o.window(), ctx) : ctx;
            ReleaseReader.Info info = ReleaseReader.info(b.model());
            EvalReport.ReleaseInfo releaseInfo = null;
            if (info != null) {
                long prot = 0;
                for (int p : info.protectedPerLayer()) prot += p;
                releaseInfo = new EvalReport.ReleaseInfo(info.order(), info.selection(), info.fractionMlpParamsInClear(), prot,
                        (long) ta.config().hiddenDim() * ta.config().nLayers());
            }

            List<HeldOutText> held = new ArrayList<>();
            for (var f : o.data()) held.add(HeldOutText.of(f, tok, o, ctx));

            List<EvalReport.TextFidelity> data = new ArrayList<>();
            for (int i = 0; i < held.size(); i++) {
                HeldOutText h = held.get(i);
                String key = "fidelity-" + i + "|" + h.describe() + "|w" + window + "|t" + o.maxTokens();
                data.add(cp.section("fidelity-" + i, key, () -> FidelityRun.onText(h, tok, ta, tb, window, o.maxTokens()),
                        ReportJson::write, ReportJson::textFidelity));
            }

            EvalReport.Greedy greedy = null;
            if (o.prompts() > 0 && !held.isEmpty()) {
                String key = "greedy|" + HeldOutText.describeAll(held) + "|p" + o.prompts() + "|" + o.promptTokens() + "|" + o.greedyTokens();
                greedy = cp.section("greedy", key,
                        () -> FidelityRun.greedy(held, tok, ta, tb, o.prompts(), o.promptTokens(), o.greedyTokens(), ctx),
                        ReportJson::write, ReportJson::greedy);
            }

            Map<String, EvalReport.TaskResult> tasks = new LinkedHashMap<>();
            for (String task : o.tasks()) {
                String key = "task|spread|" + task + "|" + o.taskItems() + "|" + o.mmluSubjects() + "|" + o.gsm8kTokens() + "|" + ctx;
                tasks.put(task, cp.section("task-" + task, key, () -> TaskRun.run(task, o, tok, ta, tb, ctx),
                        ReportJson::write, ReportJson::task));
            }

            EvalReport.SpeedResult speed = null;
            if (o.speedReps() > 0) {
                String key = "speed|" + o.speedPrompt() + "|" + o.speedGen() + "|" + o.speedReps() + "|" + o.threads();
                speed = cp.section("speed", key, () -> SpeedRun.measure(ta, tb, o.speedPrompt(), o.speedGen(), o.speedReps(), ctx),
                        ReportJson::write, ReportJson::speed);
            }

            List<EvalReport.SweepPoint> sweep = new ArrayList<>();
            String sweepSelection = null;
            if (!o.orders().isEmpty()) {
                CalibrationStats stats = CalibrationFile.load(o.calibration());
                List<String> rules = !o.select().isEmpty() ? o.select()
                        : List.of(info != null ? info.selection() : Protection.DEFAULT_RULE);
                sweepSelection = String.join(", ", rules);
                if (held.isEmpty()) throw new TaylorMlpException("--orders needs a --data file for the fidelity part of the sweep");
                HeldOutText h = held.get(0);
                int[] stream = h.stream(tok, o.sweepTokens());
                for (String rule : rules) {
                    for (int n : o.orders()) {
                        String key = "sweep|" + n + "|" + rule + "|" + Checkpoints.identity(o.calibration()) + "|" + h.describe() + "|"
                                + o.sweepTokens() + "|" + o.speedPrompt() + "|" + o.speedGen() + "|" + o.speedReps() + "|" + o.threads()
                                + "|w" + window;
                        sweep.add(cp.section("sweep-" + rule + "-N" + n, key,
                                () -> OrderSweep.point(a, n, rule, stats, stream, window, tok.bosId(), o, ctx),
                                ReportJson::write, ReportJson::sweepPoint));
                    }
                }
            }
            EvalReport report = new EvalReport("taylormlp " + Version.VERSION, o.original().toString(), o.release().toString(),
                    releaseInfo, window, o.threads(), data, greedy, tasks, speed, sweep, sweepSelection, loadStart,
                    MachineLoad.average(), Runtime.getRuntime().availableProcessors(), List.of());
            return ReportFiles.write(report, o);
        }
    }
}
