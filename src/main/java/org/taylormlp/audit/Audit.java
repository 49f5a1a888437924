package org.taylormlp.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
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
import java.util.Locale;
import java.util.Map;

/**
 * Runs the known attacks on a release and writes {@code report.json} and {@code report.md}. The release alone is
 * enough to run every attack; an original checkpoint, when given, is used only to score the results.
 */
public final class Audit {
    private Audit() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Top-level keys of report.json that scripts may rely on. */
    public static final List<String> STABLE_KEYS = List.of("recovered_relative_error", "fraction_neurons_recovered",
            "fraction_params_in_clear", "regression_tokens_needed", "recovered_greedy_identical", "recovered_speedup",
            "recovered_model");

    /** @param headline the figures of {@link #STABLE_KEYS}, typed */
    public record Result(Path reportJson, Path reportMd, ObjectNode json, Headline headline) {}

    /** What an attacker gets from the release (report.json's {@link #STABLE_KEYS}); null where this run did not measure it. */
    public record Headline(Double recoveredRelativeError, Double fractionNeuronsRecovered, Double fractionParamsInClear,
                           Integer regressionTokensNeeded, Boolean recoveredGreedyIdentical, Double recoveredSpeedup,
                           String recoveredModel) {
        static Headline of(Map<String, Object> s) {
            return new Headline(number(s, "recovered_relative_error"), number(s, "fraction_neurons_recovered"),
                    number(s, "fraction_params_in_clear"),
                    s.get("regression_tokens_needed") instanceof Number n ? n.intValue() : null,
                    s.get("recovered_greedy_identical") instanceof Boolean b ? b : null, number(s, "recovered_speedup"),
                    s.get("recovered_model") instanceof String m ? m : null);
        }

        private static Double number(Map<String, Object> s, String key) {
            return s.get(key) instanceof Number n ? n.doubleValue() : null;
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
                ObjectNode root = JSON.createObjectNode();
                ObjectNode sections = JSON.createObjectNode();
                StringBuilder md = new StringBuilder();
                for (Attack a : attacks(opt)) {
                    if (log != null) log.printf("audit: %s ...%n", a.title());
                    long ta = System.nanoTime();
                    ObjectNode sj = sections.putObject(a.id());
                    String section;
                    try {
                        section = a.run(ctx, sj);
                    } catch (ModelFormatException e) {
                        throw e;
                    } catch (TaylorMlpException e) {
                        if (a instanceof ZeroQueryAttack) throw e;
                        sj.put("error", e.getMessage());
                        section = "**Failed:** " + e.getMessage() + "\n";
                    }
                    double sec = (System.nanoTime() - ta) / 1e9;
                    sj.put("wall_seconds", sec);
                    md.append("## ").append(a.title()).append(String.format(Locale.ROOT, " (%.1f s)%n%n", sec)).append(section).append('\n');
                }
                ctx.summary.put("fraction_params_in_clear", info.fractionParamsInClear());
                for (String k : STABLE_KEYS) {
                    Object v = ctx.summary.get(k);
                    if (v != null) root.set(k, JSON.valueToTree(v));
                    else if (!k.equals("recovered_relative_error") && !k.equals("recovered_greedy_identical")) root.putNull(k);
                }
                ObjectNode rj = root.putObject("release");
                rj.put("path", release.toString());
                rj.put("format_version", info.formatVersion());
                rj.put("tool_version", info.toolVersion());
                rj.put("order", info.order());
                rj.put("activation", info.activation().name());
                rj.put("gated", info.gated());
                rj.put("selection", info.selection());
                rj.put("z0_published", info.z0Published());
                rj.put("fraction_mlp_params_in_clear", info.fractionMlpParamsInClear());
                rj.put("theta_roundoff", ctx.thetaRoundoff());
                rj.set("protected_per_layer", JSON.valueToTree(info.protectedPerLayer()));
                root.put("original", original == null ? null : original.toString());
                root.put("text_source", source);
                root.put("text_tokens", TextData.tokenCount(text));
                root.put("threads", threads);
                root.put("tool_version", "taylormlp " + Version.VERSION);
                root.put("date", Instant.now().toString());
                root.put("total_seconds", (System.nanoTime() - t0) / 1e9);
                root.set("attacks", sections);
                Path pj = outDir.resolve("report.json"), pm = outDir.resolve("report.md");
                try {
                    org.taylormlp.format.AtomicFiles.writeString(pj, JSON.writeValueAsString(root) + "\n");
                    org.taylormlp.format.AtomicFiles.writeString(pm, header(root, ctx) + md);
                } catch (IOException e) {
                    throw new TaylorMlpException("cannot write the report to " + outDir + ": " + e.getMessage(), e);
                }
                return new Result(pj, pm, root, Headline.of(ctx.summary));
            }
        }
    }

    private static String header(ObjectNode root, AuditContext ctx) {
        StringBuilder sb = new StringBuilder();
        sb.append("# TaylorMLP release audit\n\n");
        sb.append("Release: `").append(ctx.releasePath).append("`");
        sb.append(ctx.original() != null ? "; original (used only to score): `" + root.path("original").asText() + "`" : "; no original given (self-checks only)");
        sb.append("\n\nPublic text: ").append(ctx.textSource).append(String.format(Locale.ROOT, ", %d tokens.%n%n", root.path("text_tokens").asLong()));
        sb.append("**What an attacker gets from this release:**\n\n| key | value |\n|---|---|\n");
        for (String k : STABLE_KEYS) {
            if (root.has(k)) sb.append("| `").append(k).append("` | ").append(root.get(k).isNull() ? "n/a" : root.get(k).asText()).append(" |\n");
        }
        sb.append('\n');
        return sb.toString();
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

    static Map<String, Object> summaryOf(AuditContext ctx) { return ctx.summary; }
}
