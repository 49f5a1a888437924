package org.taylormlp.cli;

import org.taylormlp.eval.EvalOptions;
import org.taylormlp.eval.EvalReport;
import org.taylormlp.eval.Evaluation;
import org.taylormlp.eval.ReportTerminal;
import org.taylormlp.eval.TaskData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare a release with its original: fidelity, tasks, speed (OUT/report.md, report.json, plots).",
                "Writes OUT/report.md, OUT/report.json and PNG plots: fidelity on text (teacher-forced agreement, KL, logit differences, perplexity of both; greedy continuations),",
                "task answers (MMLU, TruthfulQA, PubMedQA by log-likelihood; GSM8K by generation), speed, and a sweep over N.",
                "Completed sections are saved under OUT/checkpoints; --resume continues an interrupted run."})
public final class EvalCommand implements Runnable {
    @Option(names = "--original", required = true, paramLabel = "SRC", description = "the source model")
    Path original;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for a llama2.c original (default: beside it)")
    Path tokenizer;

    @Option(names = "--release", required = true, paramLabel = "RELEASE", description = "the release (or any model with the same vocabulary)")
    Path release;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder")
    Path out;

    @Option(names = "--data", paramLabel = "FILE", description = "UTF-8 text for fidelity and perplexity (repeatable); paragraphs are documents")
    List<Path> data = new ArrayList<>();

    @Option(names = "--max-tokens", paramLabel = "T", description = "tokens per --data file for teacher forcing (default: ${DEFAULT-VALUE})")
    long maxTokens = 20000;

    @Option(names = "--ctx", paramLabel = "W", description = "perplexity window in tokens (default: the models' context)")
    int window = 0;

    @Option(names = "--calibration-text", paramLabel = "FILE",
            description = "the text the release was calibrated on: in a --data file that is this file, the paragraphs calibration read are skipped")
    Path calibrationText;

    @Option(names = "--calibration-tokens", paramLabel = "T", description = "--max-tokens of that calibration (default: ${DEFAULT-VALUE})")
    long calibrationTokens = 20000;

    @Option(names = "--skip-paragraphs", paramLabel = "K", description = "skip at least the first K paragraphs of every --data file")
    int skip = 0;

    @Option(names = "--prompts", paramLabel = "P", description = "greedy-continuation prompts (default: ${DEFAULT-VALUE})")
    int prompts = 50;

    @Option(names = "--prompt-tokens", paramLabel = "K", description = "tokens per prompt, BOS included (default: ${DEFAULT-VALUE})")
    int promptTokens = 8;

    @Option(names = "--greedy-tokens", paramLabel = "G", description = "generated tokens per prompt (default: ${DEFAULT-VALUE})")
    int greedyTokens = 64;

    @Option(names = "--tasks", split = ",", paramLabel = "LIST", description = "mmlu,truthfulqa,pubmedqa,gsm8k (default: none)")
    List<String> tasks = new ArrayList<>();

    @Option(names = "--task-data", paramLabel = "DIR", description = "folder with mmlu/, truthfulqa/, pubmedqa/, gsm8k/ (default: ${DEFAULT-VALUE})")
    Path taskData = Path.of("..", "shared", "data");

    @Option(names = "--task-items", paramLabel = "K", description = "items per task (per subject for MMLU), 0 = all (default: ${DEFAULT-VALUE})")
    int taskItems = 50;

    @Option(names = "--mmlu-subjects", split = ",", paramLabel = "LIST", description = "default: the four in shared/data")
    List<String> mmluSubjects = new ArrayList<>(TaskData.MMLU_SUBJECTS);

    @Option(names = "--gsm8k-tokens", paramLabel = "K", description = "greedy tokens per GSM8K answer (default: ${DEFAULT-VALUE})")
    int gsm8kTokens = 96;

    @Option(names = "--orders", split = ",", paramLabel = "N,...", description = "sweep: re-protect with each order N (needs --calibration)")
    List<Integer> orders = new ArrayList<>();

    @Option(names = "--calibration", paramLabel = "FILE", description = "calibration statistics for the sweep (taylormlp calibrate)")
    Path calibration;

    @Option(names = "--select", split = ";", paramLabel = "RULE;...", description = "selection rule(s) for the sweep, ';'-separated (default: the release's)")
    List<String> select = new ArrayList<>();

    @Option(names = "--sweep-tokens", paramLabel = "T", description = "teacher-forcing tokens per sweep point (default: ${DEFAULT-VALUE})")
    long sweepTokens = 4096;

    @Option(names = "--speed-prompt", paramLabel = "P", description = "prefill tokens for speed (default: ${DEFAULT-VALUE})")
    int speedPrompt = 128;

    @Option(names = "--speed-gen", paramLabel = "N", description = "decode tokens for speed (default: ${DEFAULT-VALUE})")
    int speedGen = 128;

    @Option(names = "--speed-reps", paramLabel = "R", description = "speed repetitions, 0 = skip speed (default: ${DEFAULT-VALUE})")
    int speedReps = 5;

    @Option(names = {"-t", "--threads"}, paramLabel = "K", description = "compute threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--resume", description = "reuse sections saved in OUT/checkpoints whose parameters and inputs match")
    boolean resume;

    @Option(names = "--no-plots", description = "do not draw PNG plots")
    boolean noPlots;

    @Override
    public void run() {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1");
        if (maxTokens < 0 || sweepTokens < 0) throw new IllegalArgumentException("token budgets must be >= 0");
        if (promptTokens < 1) throw new IllegalArgumentException("--prompt-tokens must be >= 1");
        if (data.isEmpty() && tasks.isEmpty() && speedReps == 0) throw new IllegalArgumentException("nothing to do: give --data, --tasks or speed repetitions");
        for (int n : orders) if (n < 0 || n > 64) throw new IllegalArgumentException("--orders must be in 0..64, got " + n);
        List<String> ts = new ArrayList<>();
        for (String t : tasks) {
            String s = t.trim().toLowerCase(Locale.ROOT);
            if (!List.of("mmlu", "truthfulqa", "pubmedqa", "gsm8k").contains(s)) {
                throw new IllegalArgumentException("unknown task '" + t + "' (mmlu, truthfulqa, pubmedqa, gsm8k)");
            }
            if (!ts.contains(s)) ts.add(s);
        }
        EvalOptions o = EvalOptions.builder(original, release, out).tokenizer(tokenizer).data(data).skipParagraphs(skip)
                .calibrationText(calibrationText).calibrationTokens(calibrationTokens).maxTokens(maxTokens).window(window)
                .prompts(prompts).promptTokens(promptTokens).greedyTokens(greedyTokens)
                .tasks(ts).taskData(taskData).taskItems(taskItems).gsm8kTokens(gsm8kTokens).mmluSubjects(mmluSubjects)
                .orders(orders).calibration(calibration).select(select).sweepTokens(sweepTokens)
                .speedPrompt(speedPrompt).speedGen(speedGen).speedReps(speedReps)
                .threads(threads).resume(resume).plots(!noPlots).build();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread hook = new Thread(() -> {
            if (running.get()) {
                System.err.println("\neval interrupted: completed sections are saved in " + out.resolve("checkpoints")
                        + "; run the same command with --resume to continue");
            }
        }, "eval-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        EvalReport r;
        try {
            r = Evaluation.run(o);
        } finally {
            running.set(false);
        }
        System.out.print(ReportTerminal.render(r, out.resolve("report.md")));
    }
}
