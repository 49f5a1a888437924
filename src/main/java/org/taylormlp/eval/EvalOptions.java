package org.taylormlp.eval;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link Evaluation#run} does, built by name: {@code EvalOptions.builder(original, release, out).data(files)
 * .tasks(List.of("mmlu")).speedReps(0).build()}. Every option not set keeps the default of {@code taylormlp eval}.
 */
public final class EvalOptions {
    private final Path original;
    private final Path tokenizer;
    private final Path release;
    private final List<Path> data;
    private final int skipParagraphs;
    private final Path calibrationText;
    private final long calibrationTokens;
    private final long maxTokens;
    private final int window;
    private final int prompts;
    private final int promptTokens;
    private final int greedyTokens;
    private final List<String> tasks;
    private final Path taskData;
    private final int taskItems;
    private final int gsm8kTokens;
    private final List<String> mmluSubjects;
    private final List<Integer> orders;
    private final Path calibration;
    private final List<String> select;
    private final long sweepTokens;
    private final int speedPrompt;
    private final int speedGen;
    private final int speedReps;
    private final int threads;
    private final Path out;
    private final boolean resume;
    private final boolean plots;

    private EvalOptions(Builder b) {
        this.original = b.original;
        this.tokenizer = b.tokenizer;
        this.release = b.release;
        this.data = copy(b.data);
        this.skipParagraphs = b.skipParagraphs;
        this.calibrationText = b.calibrationText;
        this.calibrationTokens = b.calibrationTokens;
        this.maxTokens = b.maxTokens;
        this.window = b.window;
        this.prompts = b.prompts;
        this.promptTokens = b.promptTokens;
        this.greedyTokens = b.greedyTokens;
        this.tasks = copy(b.tasks);
        this.taskData = b.taskData;
        this.taskItems = b.taskItems;
        this.gsm8kTokens = b.gsm8kTokens;
        this.mmluSubjects = copy(b.mmluSubjects);
        this.orders = copy(b.orders);
        this.calibration = b.calibration;
        this.select = copy(b.select);
        this.sweepTokens = b.sweepTokens;
        this.speedPrompt = b.speedPrompt;
        this.speedGen = b.speedGen;
        this.speedReps = b.speedReps;
        this.threads = b.threads;
        this.out = b.out;
        this.resume = b.resume;
        this.plots = b.plots;
    }

    /** An immutable copy; null is the empty list. */
    private static <T> List<T> copy(List<T> l) {
        return l == null ? List.of() : List.copyOf(l);
    }

    /** A builder with every option at its {@code taylormlp eval} default. */
    public static Builder builder(Path original, Path release, Path out) {
        return new Builder(original, release, out);
    }

    /** The source model. */
    public Path original() { return original; }

    /** Tokenizer.bin for a llama2.c original (null: beside it). */
    public Path tokenizer() { return tokenizer; }

    /** The release (or any model with the same vocabulary). */
    public Path release() { return release; }

    /** UTF-8 text files for fidelity and perplexity; paragraphs are documents. */
    public List<Path> data() { return data; }

    /** Skip at least this many leading paragraphs of every data file. */
    public int skipParagraphs() { return skipParagraphs; }

    /** The text the release was calibrated on (null: unknown); its calibration paragraphs are held out. */
    public Path calibrationText() { return calibrationText; }

    /** The token budget of that calibration. */
    public long calibrationTokens() { return calibrationTokens; }

    /** Teacher-forcing tokens per data file (0 = all). */
    public long maxTokens() { return maxTokens; }

    /** Perplexity window in tokens (0 = the models' context). */
    public int window() { return window; }

    /** Greedy-continuation prompts. */
    public int prompts() { return prompts; }

    /** Tokens per prompt, BOS included. */
    public int promptTokens() { return promptTokens; }

    /** Generated tokens per prompt. */
    public int greedyTokens() { return greedyTokens; }

    /** Tasks to run: mmlu, truthfulqa, pubmedqa, gsm8k. */
    public List<String> tasks() { return tasks; }

    /** Folder with mmlu/, truthfulqa/, pubmedqa/, gsm8k/. */
    public Path taskData() { return taskData; }

    /** Items per task (per subject for MMLU), 0 = all. */
    public int taskItems() { return taskItems; }

    /** Greedy tokens per GSM8K answer. */
    public int gsm8kTokens() { return gsm8kTokens; }

    /** MMLU subjects. */
    public List<String> mmluSubjects() { return mmluSubjects; }

    /** Sweep: re-protect with each order N (needs calibration). */
    public List<Integer> orders() { return orders; }

    /** Calibration statistics for the sweep. */
    public Path calibration() { return calibration; }

    /** Selection rules of the sweep (empty: the release's). */
    public List<String> select() { return select; }

    /** Teacher-forcing tokens per sweep point. */
    public long sweepTokens() { return sweepTokens; }

    /** Prefill tokens for speed. */
    public int speedPrompt() { return speedPrompt; }

    /** Decode tokens for speed. */
    public int speedGen() { return speedGen; }

    /** Speed repetitions, 0 = no speed. */
    public int speedReps() { return speedReps; }

    /** Compute threads. */
    public int threads() { return threads; }

    /** Output folder. */
    public Path out() { return out; }

    /** Reuse checkpointed sections whose parameters and inputs match. */
    public boolean resume() { return resume; }

    /** Draw PNG plots. */
    public boolean plots() { return plots; }

    /** Sets options by name; {@link #build()} makes the immutable {@link EvalOptions}. */
    public static final class Builder {
        private Path original;
        private Path tokenizer = null;
        private Path release;
        private List<Path> data = List.of();
        private int skipParagraphs = 0;
        private Path calibrationText = null;
        private long calibrationTokens = 20000;
        private long maxTokens = 20000;
        private int window = 0;
        private int prompts = 50;
        private int promptTokens = 8;
        private int greedyTokens = 64;
        private List<String> tasks = List.of();
        private Path taskData = Path.of("..", "shared", "data");
        private int taskItems = 50;
        private int gsm8kTokens = 96;
        private List<String> mmluSubjects = TaskData.MMLU_SUBJECTS;
        private List<Integer> orders = List.of();
        private Path calibration = null;
        private List<String> select = List.of();
        private long sweepTokens = 4096;
        private int speedPrompt = 128;
        private int speedGen = 128;
        private int speedReps = 5;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Path out;
        private boolean resume = false;
        private boolean plots = true;

        private Builder(Path original, Path release, Path out) {
            this.original = Objects.requireNonNull(original, "original");
            this.release = Objects.requireNonNull(release, "release");
            this.out = Objects.requireNonNull(out, "out");
        }

        public Builder tokenizer(Path v) { this.tokenizer = v; return this; }

        public Builder data(List<Path> v) { this.data = v; return this; }

        public Builder skipParagraphs(int v) { this.skipParagraphs = v; return this; }

        public Builder calibrationText(Path v) { this.calibrationText = v; return this; }

        public Builder calibrationTokens(long v) { this.calibrationTokens = v; return this; }

        public Builder maxTokens(long v) { this.maxTokens = v; return this; }

        public Builder window(int v) { this.window = v; return this; }

        public Builder prompts(int v) { this.prompts = v; return this; }

        public Builder promptTokens(int v) { this.promptTokens = v; return this; }

        public Builder greedyTokens(int v) { this.greedyTokens = v; return this; }

        public Builder tasks(List<String> v) { this.tasks = v; return this; }

        public Builder taskData(Path v) { this.taskData = v; return this; }

        public Builder taskItems(int v) { this.taskItems = v; return this; }

        public Builder gsm8kTokens(int v) { this.gsm8kTokens = v; return this; }

        public Builder mmluSubjects(List<String> v) { this.mmluSubjects = v; return this; }

        public Builder orders(List<Integer> v) { this.orders = v; return this; }

        public Builder calibration(Path v) { this.calibration = v; return this; }

        public Builder select(List<String> v) { this.select = v; return this; }

        public Builder sweepTokens(long v) { this.sweepTokens = v; return this; }

        public Builder speedPrompt(int v) { this.speedPrompt = v; return this; }

        public Builder speedGen(int v) { this.speedGen = v; return this; }

        public Builder speedReps(int v) { this.speedReps = v; return this; }

        public Builder threads(int v) { this.threads = v; return this; }

        public Builder resume(boolean v) { this.resume = v; return this; }

        public Builder plots(boolean v) { this.plots = v; return this; }

        public EvalOptions build() {
            return new EvalOptions(this);
        }
    }
}
