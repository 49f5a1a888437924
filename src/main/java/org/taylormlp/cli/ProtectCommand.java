package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.Progress;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.keys.OwnerKey;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.ReleaseIntegrity;
import org.taylormlp.tensor.DType;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

@Command(name = "protect", mixinStandardHelpOptions = true,
        description = "Turn a checkpoint into a TaylorMLP release: protected MLP neurons are stored only as Taylor coefficients.")
public final class ProtectCommand implements Runnable {
    @Mixin
    ModelOptions opts;

    static final class Calib {
        @Option(names = "--calibration", paramLabel = "FILE", description = "statistics written by `taylormlp calibrate`")
        Path file;

        @Option(names = "--text", arity = "1..*", paramLabel = "FILE", description = "calibrate on these text files first")
        List<Path> text;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Calib calib;

    @Option(names = "--max-tokens", paramLabel = "T", description = "calibration tokens when --text is given (default: ${DEFAULT-VALUE})")
    long maxTokens = 20000;

    @Option(names = "--order", paramLabel = "N", description = "Taylor order N (default: ${DEFAULT-VALUE}); ignored with --target-slowdown")
    int order = Protection.DEFAULT_ORDER;

    @Option(names = "--select", paramLabel = "RULE", description = "paper:K | paper:P%% | radius:M (default: ${DEFAULT-VALUE})")
    String select = Protection.DEFAULT_RULE;

    @Option(names = "--target-slowdown", paramLabel = "X", description = "pick the smallest N whose predicted decode slowdown is at least X")
    Double targetSlowdown;

    @Option(names = "--clamp", paramLabel = "C", description = {"out-of-range policy: clip |t| = |g - z0|/r to C at run time;",
            "0 = evaluate the polynomial as is (default: 1 = 90 %% of the convergence radius for SiLU/GELU-tanh; 0 for GELU-erf)"})
    Float clamp;

    @Option(names = "--hide-z0", description = "do not publish the expansion points (they are folded into the biases anyway)")
    boolean hideZ0;

    @Option(names = "--theta-dtype", paramLabel = "T", description = "f32 | f16 | bf16 for the coefficients (default: ${DEFAULT-VALUE})")
    String thetaDtype = "f32";

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "RELEASE", description = "release file to write (.safetensors)")
    Path out;

    @Option(names = "--owner-key", paramLabel = "KEY", description = {"owner key (keygen --out): sign the release for --recipient",
            "and mark its weights for that recipient before the Taylor expansion"})
    Path ownerKey;

    @Option(names = "--recipient", paramLabel = "ID", description = "who this copy is issued to (recorded in the signed metadata; needs --owner-key)")
    String recipient;

    @Option(names = "--mark-strength", paramLabel = "EPS", description = {"relative strength of the recipient's mark: w + EPS*|w|*(+-1)",
            "(default: 2.5e-5, chosen for fidelity; copies re-quantized to Q4_0 are still traced, see docs/SECURITY.md)"})
    Double markStrength;

    /** The owner key and recipient from --owner-key/--recipient, or null for an unsigned release (said on stderr). */
    Protector.Signing signing() {
        if (ownerKey == null && recipient == null) {
            if (markStrength != null) throw new IllegalArgumentException("--mark-strength needs --owner-key and --recipient");
            System.err.println("note: no --owner-key: the release is unsigned, unmarked and not issued to a recipient (it still carries digests)");
            return null;
        }
        if (ownerKey == null) throw new IllegalArgumentException("--recipient needs --owner-key");
        if (recipient == null) throw new IllegalArgumentException("--owner-key needs --recipient ID (who this copy is issued to)");
        ReleaseIntegrity.checkRecipient(recipient);
        return new Protector.Signing(OwnerKey.read(ownerKey), recipient);
    }

    /** The model to protect: {@code m} itself, or (signed releases) its copy marked for the recipient. */
    org.taylormlp.model.Model markedForRecipient(org.taylormlp.model.Model m, Protector.Signing signing) {
        if (signing == null) return m;
        double eps = markStrength != null ? markStrength : org.taylormlp.trace.Mark.DEFAULT_STRENGTH;
        org.taylormlp.model.Model marked = org.taylormlp.trace.Mark.of(signing.key().fingerprintSecret(), signing.recipient()).apply(m, eps);
        System.out.printf("fingerprint:        marked for recipient '%s' (relative strength %.3g)%n", signing.recipient(), eps);
        return marked;
    }

    @Override
    public void run() {
        // invalid arguments are exit code 2 (see Main), found before any model is read
        if (order < 0 || order > 64) throw new IllegalArgumentException("--order must be in 0..64, got " + order);
        if (targetSlowdown != null && !(targetSlowdown >= 1)) throw new IllegalArgumentException("--target-slowdown must be >= 1, got " + targetSlowdown);
        if (select == null || !select.strip().matches("(?i)(paper:\\d+|paper:[0-9.]+%|radius:[0-9.eE+-]+)")) {
            throw new IllegalArgumentException("--select must be paper:K, paper:P% or radius:M, got '" + select + "'");
        }
        if (maxTokens < 0) throw new IllegalArgumentException("--max-tokens must be >= 0, got " + maxTokens);
        DType td = DType.parse(thetaDtype);
        Protector.Signing signing = signing();
        try (Engine e = opts.open(WeightLoading.MMAP)) {
            org.taylormlp.model.Model src = markedForRecipient(e.model(), signing);
            CalibrationStats stats = calib.file != null ? CalibrationFile.load(calib.file)
                    : CalibrateCommand.calibrate(e, calib.text, maxTokens);
            Protector.Options po = new Protector.Options(clamp != null ? clamp : Protection.autoClamp(e.model().config().activation()), !hideZ0, td);
            Protection.Result r;
            try (Progress bar = Progress.start("protect", e.model().config().nLayers())) {
                r = Protection.run(src, e.transformer().weightBytesPerToken(), stats, select, order, targetSlowdown, po, out, l -> bar.stepTo(l + 1L), signing);
            }
            System.out.print(r.text(true));
            if (targetSlowdown != null) {
                // measured side by side in this process: decode of the same tokens, original and release alternating
                try (Engine rel = Engine.open(out, null, opts.threads, 512, opts.loading(WeightLoading.MMAP))) {
                    double[] ratio = new double[3];
                    var tok = e.model().tokenizer();
                    int[] prompt = {tok.bosId()};
                    for (int i = 0; i < ratio.length; i++) {
                        double a = new Generator(e.transformer(), tok).generate(prompt, 64, Sampler.greedy(), null).decodeTokensPerSecond();
                        double b = new Generator(rel.transformer(), tok).generate(prompt, 64, Sampler.greedy(), null).decodeTokensPerSecond();
                        ratio[i] = a / b;
                    }
                    java.util.Arrays.sort(ratio);
                    System.out.printf("measured slowdown: %.2fx (median of 3 alternating decode runs of 64 tokens; target %.2fx)%n",
                            ratio[1], targetSlowdown);
                }
            }
        }
    }
}
