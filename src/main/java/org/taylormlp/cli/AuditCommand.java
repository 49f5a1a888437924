package org.taylormlp.cli;

import org.taylormlp.audit.Audit;
import org.taylormlp.audit.AuditOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Arrays;

@Command(name = "audit", mixinStandardHelpOptions = true,
        description = {"Run the known attacks on a release and report what an attacker recovers (report.md, report.json).",
                "Needs only the release; --original is used to score the results, never to run the attacks."})
public final class AuditCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "RELEASE", description = "release file written by `taylormlp protect`")
    Path release;

    @Option(names = "--original", paramLabel = "SRC", description = "the original checkpoint, to score the recovery")
    Path original;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for a llama2.c --original (default: beside it)")
    Path tokenizer;

    @Option(names = "--text", paramLabel = "FILE", description = "public text for the data-driven attacks (default: text the release samples itself)")
    Path text;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for report.md, report.json and the recovered checkpoint")
    Path out;

    @Option(names = {"-t", "--threads"}, paramLabel = "K", description = "compute threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--regression-tokens", split = ",", paramLabel = "T", description = "T values of the regression sweep (default: 64,128,...,4096)")
    int[] regressionTokens;

    @Option(names = "--learn-steps", paramLabel = "S", description = "Adam steps per layer and budget in the learning attack (default: ${DEFAULT-VALUE})")
    int learnSteps = AuditOptions.defaults().learnSteps();

    @Option(names = "--learn-tokens", paramLabel = "N", description = "token pool of the learning attack, = the 100 %% budget (default: ${DEFAULT-VALUE})")
    int learnTokens = AuditOptions.defaults().learnPoolTokens();

    @Option(names = "--eval-tokens", paramLabel = "N", description = "held-out tokens for fidelity (default: ${DEFAULT-VALUE})")
    int evalTokens = AuditOptions.defaults().evalTokens();

    @Option(names = "--attacks", split = ",", paramLabel = "ID", description = "attacks to run: zero_query, regression, speedup, learning "
            + "(default: all; zero_query always runs, the others build on it)")
    java.util.Set<String> attacks;

    @Option(names = "--skip-learning", description = "skip the (slow) learning-based attack")
    boolean skipLearning;

    @Option(names = "--owner-key", paramLabel = "FILE", description = "owner key: also check that the recovered weights still carry the release's recipient fingerprint (needs --original)")
    Path ownerKey;

    @Override
    public void run() {
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("--threads must be between 1 and 1024, got " + threads);
        AuditOptions d = AuditOptions.defaults();
        int[] ts = regressionTokens == null ? d.regressionTokens() : regressionTokens;
        if (Arrays.stream(ts).anyMatch(t -> t < 1)) throw new IllegalArgumentException("--regression-tokens must be positive");
        if (learnSteps < 1 || learnTokens < 1 || evalTokens < 1) throw new IllegalArgumentException("--learn-steps, --learn-tokens and --eval-tokens must be positive");
        java.util.Set<String> run = new java.util.HashSet<>(attacks == null ? AuditOptions.ALL : attacks);
        for (String a : run) {
            if (!AuditOptions.ALL.contains(a)) throw new IllegalArgumentException("unknown attack '" + a + "' (zero_query, regression, speedup, learning)");
        }
        if (skipLearning) run.remove("learning");
        AuditOptions opt = new AuditOptions(ts, d.learnBudgets(), learnTokens, learnSteps, d.learnBatch(), evalTokens, d.greedyPrompts(),
                d.greedyTokens(), d.speedTokens(), d.sampleTokens(), java.util.Set.copyOf(run), d.seed());
        if (ownerKey != null && original == null) throw new IllegalArgumentException("--owner-key needs --original (tracing compares with the unmarked original)");
        Audit.Result r = Audit.run(release, original, tokenizer, text, out, threads, opt, System.err);
        if (ownerKey != null) AuditFingerprint.report(release, original, tokenizer, ownerKey, r);
        System.out.printf("wrote %s and %s%n", r.reportMd(), r.reportJson());
        for (String k : Audit.STABLE_KEYS) {
            if (r.json().has(k)) System.out.printf("  %-28s %s%n", k, shown(k, r.json(), ts));
        }
    }

    /** A summary value for people: a null says why there is no value (report.json keeps the null). */
    static String shown(String key, com.fasterxml.jackson.databind.JsonNode report, int[] sweep) {
        com.fasterxml.jackson.databind.JsonNode v = report.get(key);
        if (v != null && !v.isNull()) return v.toString();
        if (key.equals("regression_tokens_needed")) {
            com.fasterxml.jackson.databind.JsonNode reg = report.path("attacks").path("regression");
            if (reg.isMissingNode()) return "none (the regression attack was not run)";
            if (reg.has("error")) return "none (the regression attack failed: " + reg.get("error").asText() + ")";
            return "none: no token count in the sweep " + Arrays.toString(sweep) + " reached relative error "
                    + reg.path("tolerance").asText("?") + " (the zero-query attack needs no tokens; see report.md)";
        }
        return "none (not measured in this run; see report.md)";
    }
}
