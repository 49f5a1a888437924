package org.taylormlp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.eval.Bench;
import org.taylormlp.model.WeightLoading;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure prompt processing (ppP) and generation (tgN) speed, llama-bench style, for a model or a release.",
                "Each test runs --repetitions times after a warm-up (full-length passes for at least 3 s and until two agree within 3 %%, at most 20 s), on random tokens from an empty context; t/s is mean ± sd.",
                "The bound is the decode bandwidth bound: read bandwidth measured here with the same threads (median of vector-sum passes over a buffer of anonymous huge-page memory, three after each generation repetition and at least 9) ÷ weight bytes per token."})
public final class BenchCommand implements Runnable {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "PATH",
            description = "GGUF file, Hugging Face folder, llama2.c .bin, or taylormlp release")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for llama2.c checkpoints (default: beside the model)")
    Path tokenizer;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "P", description = "prompt tokens, 0 = skip (default: ${DEFAULT-VALUE})")
    int prompt = 128;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", description = "generated tokens, 0 = skip (default: ${DEFAULT-VALUE})")
    int gen = 128;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "K", description = "thread counts, comma separated (default: all cores)")
    List<Integer> threads = new ArrayList<>();

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", description = "repetitions per test (default: ${DEFAULT-VALUE})")
    int repetitions = 5;

    @Option(names = {"-o", "--format"}, paramLabel = "FMT", description = "md | json (default: ${DEFAULT-VALUE})")
    String format = "md";

    @Option(names = "--bandwidth-mib", paramLabel = "MIB", description = "buffer for the bandwidth measurement (default: ${DEFAULT-VALUE})")
    int bandwidthMib = 256;

    @Mixin
    LoadOptions load = new LoadOptions();

    @Option(names = "--no-verify", description = "skip hashing a release's tensors against its digests at load")
    boolean noVerify;

    @Override
    public void run() {
        WeightLoading loading = load.loading(WeightLoading.AUTO);
        if (!format.equals("md") && !format.equals("json")) throw new IllegalArgumentException("--format must be md or json, got '" + format + "'");
        if (bandwidthMib < 1) throw new IllegalArgumentException("--bandwidth-mib must be >= 1");
        int[] ts = threads.isEmpty() ? new int[]{Runtime.getRuntime().availableProcessors()}
                : threads.stream().mapToInt(Integer::intValue).toArray();
        boolean md = format.equals("md");
        if (md) System.out.print(Bench.markdownHeader());
        var rows = ScopedValue.where(org.taylormlp.taylor.ReleaseIntegrity.POLICY, ModelOptions.releasePolicy(null, noVerify))
                .call(() -> Bench.run(model, tokenizer, new Bench.Options(prompt, gen, ts, repetitions, (long) bandwidthMib << 20, loading),
                        md ? r -> System.out.print(Bench.markdownRow(r)) : null));
        if (!md) {
            try {
                System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(Bench.json(rows)));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        } else if (!rows.isEmpty()) {
            System.out.printf("%nbandwidth measured: %s; weight bytes per token: %,d%n", bwList(rows), rows.get(0).bytesPerToken());
            for (Bench.Row r : rows) {
                if (r.tokenLatency() == null) continue;
                System.out.printf(java.util.Locale.ROOT, "%s at %d thread%s, per token: median %.3f ms, p99 %.3f ms, max %.3f ms%n", r.test(),
                        r.threads(), r.threads() == 1 ? "" : "s", r.tokenLatency().p50Ms(), r.tokenLatency().p99Ms(), r.tokenLatency().maxMs());
            }
        }
    }

    private static String bwList(List<Bench.Row> rows) {
        StringBuilder sb = new StringBuilder();
        int last = -1;
        for (Bench.Row r : rows) {
            if (r.threads() == last) continue;
            last = r.threads();
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(String.format(java.util.Locale.ROOT, "%.1f GB/s at %d thread%s", r.bandwidthBytesPerSecond() / 1e9, r.threads(), r.threads() == 1 ? "" : "s"));
        }
        return sb.toString();
    }
}
