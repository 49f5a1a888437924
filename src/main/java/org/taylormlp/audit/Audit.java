package org.taylormlp.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.Version;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.TextData;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.taylor.ReleaseReader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the known attacks on a release and writes {@code report.json} and {@code report.md}. The release alone is
 * enough to run every attack; an original checkpoint, when given, is used only to score the results.
 */
public final class Audit {
    private Audit() {}

    /** Top-level keys of report.json that scripts may rely on. */
    public static final List<String> STABLE_KEYS = List.of("recovered_relative_error", "fraction_neurons_recovered",
            "fraction_params_in_clear", "regression_tokens_needed", "recovered_greedy_identical", "recovered_speedup",
            "recovered_model");

    /**
     * @param json     report.json's tree (callers may add a section and rewrite the file)
     * @param headline the figures of {@link #STABLE_KEYS}, typed
     * @param report   every figure of the audit, typed
     */
    public record Result(Path reportJson, Path reportMd, ObjectNode json, Headline headline, AuditReport report) {}

    /** What an attacker gets from the release (report.json's {@link #STABLE_KEYS}); null where this run did not measure it. */
    public record Headline(Double recoveredRelativeError, Double fractionNeuronsRecovered, Double fractionParamsInClear,
                           Integer regressionTokensNeeded, Boolean recoveredGreedyIdentical, Double recoveredSpeedup,
                           String recoveredModel) {
        /** @param recoveredModel the checkpoint the speed-up attack wrote (even if it failed afterwards), or null */
        static Headline of(List<AuditReport.Section> sections, ReleaseReader.Info info, Path recoveredModel) {
            Double rel = null, fraction = null, speedup = null;
            Integer tokens = null;
            Boolean greedy = null;
            for (AuditReport.Section s : sections) {
                switch (s.result()) {
                    case AuditReport.ZeroQuery z -> {
                        if (z.scored()) rel = z.relativeError();
                        fraction = z.fractionNeuronsRecovered();
                    }
                    case AuditReport.Regression g -> tokens = g.tokensNeeded();
                    case AuditReport.Speedup p -> {
                        if (p.hasOriginal()) greedy = p.greedyAllIdentical();
                        speedup = p.speedup();
                    }
                    case null, default -> { }
                }
            }
            return new Headline(rel, fraction, info.fractionParamsInClear(), tokens, greedy, speedup,
                    recoveredModel == null ? null : recoveredModel.toString());
        }
    }

    /** The attacks, in the order they run (later ones use what earlier ones recovered). */
    static List<Attack> attacks(AuditOptions opt) {
        List<Attack> a = new ArrayList<>();
        for (Attack x : List.of(new ZeroQueryAttack(), new RegressionAttack(), new SpeedupAttack(), new LearningAttack())) {
            if (opt.runs(x.id())) a.add(x);
        }
        return a;
    }

    /**
     * @param original          the original checkpoint, or null (the audit then scores itself without it)
     * @param originalTokenizer tokenizer.bin for a llama2.c original, or null
     * @param textFile          public text for the data-driven attacks, or null (the release samples its own)
     * @param log               progress lines (may be null)
     * @throws ModelFormatException if the release cannot be parsed or is not a taylormlp release
     */
    public static Result run(Path release, Path original, Path originalTokenizer, Path textFile, Path outDir, int threads,
                             AuditOptions opt, PrintStream log) {
        long t0 = System.nanoTime();
        try (Engine rel = Engine.open(release, null, threads, 4096)) {
            ReleaseReader.Info info = ReleaseReader.info(rel.model());
            if (info == null) {
                throw new ModelFormatException(release, "not a taylormlp release (a " + rel.model().format()
                        + " checkpoint); audit needs the release file written by `taylormlp protect`");
            }
            try (Engine orig = original == null ? null : Engine.open(original, originalTokenizer, threads, 4096)) {
                try {
                    Files.createDirectories(outDir);
                } catch (IOException e) {
                    throw new TaylorMlpException("cannot create " + outDir + ": " + e.getMessage(), e);
                }
                List<int[]> text;
                String source;
                if (textFile != null) {
                    long want = Math.max(opt.maxRegressionTokens(), opt.learnPoolTokens()) + opt.evalTokens();
                    text = TextData.encode(rel.model().tokenizer(), TextData.paragraphs(textFile), want, rel.transformer().maxContext());
                    source = "text file " + textFile;
                } else {
                    text = sample(rel, opt);
                    source = "text sampled by the release itself (temperature 1, seed " + opt.seed() + ")";
                }
                if (TextData.tokenCount(text) < 16) throw new TaylorMlpException("the public text gave fewer than 16 tokens");
                AuditContext ctx = new AuditContext(release, rel, orig, threads, outDir, opt, text, source);
                List<AuditReport.Section> sections = new ArrayList<>();
                for (Attack a : attacks(opt)) {
                    if (log != null) log.printf("audit: %s ...%n", a.title());
                    long ta = System.nanoTime();
                    AuditReport.AttackResult result = null;
                    String error = null;
                    try {
                        result = a.run(ctx);
                    } catch (ModelFormatException e) {
                        throw e;
                    } catch (TaylorMlpException e) {
                        if (a instanceof ZeroQueryAttack) throw e;
                        error = e.getMessage();
                    }
                    sections.add(new AuditReport.Section(a.id(), a.title(), result, error, (System.nanoTime() - ta) / 1e9));
                }
                AuditReport report = new AuditReport(release, info, ctx.thetaRoundoff(), original, source, TextData.tokenCount(text),
                        threads, "taylormlp " + Version.VERSION, Instant.now().toString(), (System.nanoTime() - t0) / 1e9,
                        Headline.of(sections, info, ctx.recoveredModel), List.copyOf(sections));
                ObjectNode root = AuditJson.tree(report);
                Path pj = outDir.resolve("report.json"), pm = outDir.resolve("report.md");
                try {
                    org.taylormlp.format.AtomicFiles.writeString(pj, AuditJson.write(root));
                    org.taylormlp.format.AtomicFiles.writeString(pm, AuditMarkdown.write(report));
                } catch (IOException e) {
                    throw new TaylorMlpException("cannot write the report to " + outDir + ": " + e.getMessage(), e);
                }
                return new Result(pj, pm, root, report.headline(), report);
            }
        }
    }

    /** Token sequences the release samples itself (no external data needed). */
    static List<int[]> sample(Engine rel, AuditOptions opt) {
        List<int[]> out = new ArrayList<>();
        long want = (long) opt.sampleTokens() + opt.evalTokens(), have = 0;
        Sampler s = new Sampler(1.0f, 1.0f, 0, opt.seed());
        int len = Math.min(256, rel.transformer().maxContext() - 1);
        int bos = Math.max(0, rel.model().tokenizer().bosId());
        for (int attempt = 0; have < want && attempt < 100_000; attempt++) {
            Generator g = new Generator(rel.transformer(), rel.model().tokenizer());
            int[] toks = g.generate(new int[]{bos}, len, s, null).tokens();
            if (toks.length < 1) continue;
            int[] seq = new int[toks.length + 1];
            seq[0] = bos;
            System.arraycopy(toks, 0, seq, 1, toks.length);
            out.add(seq);
            have += seq.length;
        }
        return out;
    }
}
