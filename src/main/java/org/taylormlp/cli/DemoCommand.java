package org.taylormlp.cli;

import org.taylormlp.app.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"End to end on stories15M: obtain the model, calibrate on text it samples itself, protect it,",
                "compare original and release side by side (agreement, slowdown), and audit the release."})
public final class DemoCommand implements Runnable {
    @Option(names = "--out", paramLabel = "DIR", description = "where the release and reports go (default: ${DEFAULT-VALUE})")
    Path out = Path.of("demo-out");

    @Option(names = "--text", paramLabel = "FILE", description = "calibrate on this text instead of self-sampled text")
    Path text;

    @Option(names = "--order", paramLabel = "N", description = "Taylor order (default: the protect preset)")
    Integer order;

    @Option(names = "--select", paramLabel = "RULE", description = "selection rule (default: the protect preset)")
    String select;

    @Option(names = {"-t", "--threads"}, paramLabel = "K") int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--calibration-tokens", paramLabel = "T", description = "tokens to sample for calibration (default: ${DEFAULT-VALUE})")
    int calibrationTokens = 8192;

    @Override
    public void run() {
        Demo.run(new Demo.Options(out, text, order, select, threads, calibrationTokens), System.out, System.err);
    }
}
