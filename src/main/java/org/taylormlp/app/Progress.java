package org.taylormlp.app;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr for slow work (calibration, protect, eval), shown when stderr is a terminal or when
 * {@code TAYLORMLP_PROGRESS=1}; otherwise silent.
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    public static boolean enabled() {
        String env = System.getenv("TAYLORMLP_PROGRESS");
        if (env != null) return env.equals("1") || env.equalsIgnoreCase("true");
        return System.console() != null;
    }

    public static Progress start(String task, long total) {
        if (!enabled()) return new Progress(null);
        ProgressBar b = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(1, total))
                .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .setUpdateIntervalMillis(250).build();
        return new Progress(b);
    }

    public void stepTo(long n) {
        if (bar != null) bar.stepTo(Math.min(n, bar.getMax()));
    }

    public void step() {
        if (bar != null) bar.step();
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
