package org.taylormlp.runtime;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.PrintStream;

/**
 * A progress bar on stderr for slow steps (model loads, calibration, protection, evaluation).
 *
 * <pre>{@code
 * try (Progress p = Progress.start("calibrating", layers)) {
 *     for (...) { ...; p.step(); }
 * }
 * }</pre>
 *
 * <p>The bar is drawn only when the console is a terminal, or when the environment variable
 * {@code TAYLORMLP_PROGRESS} is {@code 1}/{@code true}; {@code 0}/{@code false} turns it off everywhere.
 * Otherwise (pipes, CI logs, tests) the helper is silent, so output that is parsed stays clean.
 * Safe to call from one thread; {@link #step} is cheap enough for inner loops.
 */
public final class Progress implements AutoCloseable {
    private static final Progress NONE = new Progress(null);
    private final ProgressBar bar;

    private Progress(ProgressBar bar) { this.bar = bar; }

    /** Starts a bar for {@code total} steps of {@code task} (or a silent one, see the class comment). */
    public static Progress start(String task, long total) {
        return start(task, total, enabled(System.getenv("TAYLORMLP_PROGRESS"), isTerminal()), System.err);
    }

    /** A progress that shows nothing. */
    public static Progress none() { return NONE; }

    /** Starts a bar drawn on {@code out} when {@code show}, else a silent one. */
    public static Progress start(String task, long total, boolean show, PrintStream out) {
        if (!show) return NONE;
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(Math.max(0, total))
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setConsumer(new ConsoleProgressBarConsumer(out, 100))
                .build();
        return new Progress(bar);
    }

    /** Whether bars are drawn, given {@code TAYLORMLP_PROGRESS} and whether the console is a terminal. */
    static boolean enabled(String env, boolean terminal) {
        if (env != null) {
            String v = env.trim().toLowerCase();
            if (v.equals("1") || v.equals("true") || v.equals("yes")) return true;
            if (v.equals("0") || v.equals("false") || v.equals("no")) return false;
        }
        return terminal;
    }

    private static boolean isTerminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** True when this progress draws a bar. */
    public boolean isShown() { return bar != null; }

    public void step() {
        if (bar != null) bar.step();
    }

    public void stepBy(long n) {
        if (bar != null) bar.stepBy(n);
    }

    /** Moves the bar to {@code n} steps done (callers that report absolute progress). */
    public void stepTo(long n) {
        if (bar != null) bar.stepTo(n);
    }

    /** Changes the total (e.g. once it becomes known). */
    public void maxHint(long total) {
        if (bar != null) bar.maxHint(total);
    }

    /** Finishes the bar (draws its final state and ends the line). */
    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
