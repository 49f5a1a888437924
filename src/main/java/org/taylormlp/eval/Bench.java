package org.taylormlp.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.runtime.Engine;
import org.taylormlp.model.ResidentWeights;
import org.taylormlp.model.WeightLoading;
import org.taylormlp.taylor.ReleaseReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * llama-bench-style measurements of one model file (checkpoint or release): prompt processing of {@code p} tokens
 * ("ppP") and generation of {@code n} tokens ("tgN"), each repeated, per thread count; with the peak RSS and the
 * decode bandwidth bound (weight bytes read per generated token ÷ read bandwidth measured here, same threads).
 */
public final class Bench {
    private Bench() {}

    public record Row(String model, String type, long modelBytes, long params, String backend, String weights, String test, int threads,
                      int tokens, int repetitions, Speed.Stats tokensPerSecond, Speed.Latency tokenLatency, long peakRssBytes,
                      long bytesPerToken, double bandwidthBytesPerSecond, double boundTokensPerSecond) {}

    /** {@code loading}: where the weights live ({@link WeightLoading}), the same for every thread group. */
    public record Options(int prompt, int gen, int[] threads, int repetitions, long bandwidthBytes, WeightLoading loading) {}

    public static List<Row> run(Path model, Path tokenizer, Options o, Consumer<Row> each) {
        if (o.prompt() < 0 || o.gen() < 0) throw new IllegalArgumentException("-p and -n must be >= 0");
        if (o.prompt() == 0 && o.gen() == 0) throw new IllegalArgumentException("nothing to measure: -p 0 and -n 0");
        if (o.repetitions() < 1) throw new IllegalArgumentException("--repetitions must be >= 1");
        List<Row> rows = new ArrayList<>();
        long fileBytes = fileBytes(model);
        for (int k : o.threads()) {
            if (k < 1) throw new IllegalArgumentException("thread counts must be >= 1, got " + k);
            int ctx = Math.max(o.prompt(), o.gen()) + 1;
            try (Engine e = Engine.open(model, tokenizer, k, ctx, o.loading())) {
                var t = e.transformer();
                if (Math.max(o.prompt(), o.gen()) > t.maxContext()) {
                    throw new IllegalArgumentException("-p/-n exceed the model's context of " + t.maxContext() + " tokens");
                }
                int vocab = t.config().vocabSize();
                ReleaseReader.Info info = ReleaseReader.info(e.model());
                String type = info != null ? "release N=" + info.order() : e.model().format() + " " + dtypeOf(e);
                long bpt = t.weightBytesPerToken();
                System.gc(); // let go of the previous group's heap before the high-water mark is reset
                Speed.resetPeakRss(); // peak RSS per thread group, without earlier groups' bandwidth buffers
                warmUp(t, o, vocab);
                Speed.Stats pp = null, tg = null;
                long rssPp = -1, rssTg = -1;
                if (o.prompt() > 0) {
                    double[] s = new double[o.repetitions()];
                    for (int r = 0; r < s.length; r++) s[r] = o.prompt() / Speed.prefillSeconds(t, Speed.randomTokens(o.prompt(), vocab, 100 + r));
                    pp = Speed.Stats.of(s);
                    rssPp = Speed.peakRssBytes();
                }
                Speed.Latency latency = null;
                double bw;
                if (o.gen() > 0) {
                    double[] s = new double[o.repetitions()];
                    long[] nanos = new long[o.repetitions() * o.gen()];
                    s[0] = o.gen() / Speed.decodeSeconds(t, Speed.randomTokens(o.gen(), vocab, 200), nanos, 0);
                    // the peak RSS before the bandwidth buffer exists (decoding allocates nothing per token)
                    rssTg = Speed.peakRssBytes();
                    // bandwidth passes between the repetitions, so the bound comes from the same minutes as the decode
                    try (Speed.BandwidthProbe probe = new Speed.BandwidthProbe(k, o.bandwidthBytes())) {
                        List<Double> passes = new ArrayList<>();
                        probe.pass(); // warm-up
                        int gap = Math.max(PASSES_PER_GAP, (MIN_PASSES + o.repetitions() - 1) / o.repetitions());
                        for (int r = 1; r <= s.length; r++) {
                            for (int i = 0; i < gap; i++) passes.add(probe.pass());
                            if (r < s.length) {
                                s[r] = o.gen() / Speed.decodeSeconds(t, Speed.randomTokens(o.gen(), vocab, 200 + r), nanos, r * o.gen());
                            }
                        }
                        bw = probe.of(passes).median();
                    }
                    tg = Speed.Stats.of(s);
                    latency = Speed.Latency.of(nanos);
                } else {
                    bw = Speed.readBandwidth(k, o.bandwidthBytes(), MIN_PASSES);
                }
                String name = model.getFileName().toString();
                String weights = ResidentWeights.copied(e.model()) ? "copy" : "mmap";
                List<Row> group = new ArrayList<>();
                if (pp != null) group.add(new Row(name, type, fileBytes, e.model().parameterCount(), e.kernels().name(), weights, "pp" + o.prompt(), k,
                        o.prompt(), o.repetitions(), pp, null, rssPp, bpt, bw, Double.NaN));
                if (tg != null) group.add(new Row(name, type, fileBytes, e.model().parameterCount(), e.kernels().name(), weights, "tg" + o.gen(), k,
                        o.gen(), o.repetitions(), tg, latency, rssTg, bpt, bw, bw / bpt));
                for (Row row : group) {
                    rows.add(row);
                    if (each != null) each.accept(row);
                }
            }
        }
        return rows;
    }

    /**
     * Bandwidth passes (over {@code bandwidthBytes}, the group's threads) after each generation repetition, and the
     * fewest in all; the bound uses their median. Passes between the repetitions see the machine as the decode does,
     * so the bound moves with other tenants' traffic together with the decode instead of being taken in a different
     * minute.
     */
    static final int PASSES_PER_GAP = 3, MIN_PASSES = 9;

    /** Warm-up per thread group: at least this long (JIT), at most {@link #WARMUP_MAX_NANOS}. */
    static final long WARMUP_MIN_NANOS = 3_000_000_000L;
    static final long WARMUP_MAX_NANOS = 20_000_000_000L;

    /**
     * Warm-up until the JIT has settled (and the weights are in the page cache): full-length passes of the
     * measured tests for at least {@link #WARMUP_MIN_NANOS} and until two successive passes are within 3 % of
     * each other; passes stop starting after {@link #WARMUP_MAX_NANOS} (a big model may get one). One pass, as llama-bench does,
     * is not enough for a JVM: C2 compiles the kernels and the forward pass over the first seconds; measured
     * after a single short pass, Q8_0 decode was still 2x below its steady state in the second and third
     * repetitions, and stories260K 2.5x.
     */
    static void warmUp(org.taylormlp.nn.Transformer t, Options o, int vocab) {
        long start = System.nanoTime();
        double prev = Double.NaN;
        for (int pass = 0; ; pass++) {
            double rate = Double.NaN;
            if (o.prompt() > 0) rate = o.prompt() / Speed.prefillSeconds(t, Speed.randomTokens(o.prompt(), vocab, 1 + pass));
            if (o.gen() > 0) rate = o.gen() / Speed.decodeSeconds(t, Speed.randomTokens(o.gen(), vocab, 50 + pass));
            long elapsed = System.nanoTime() - start;
            boolean steady = pass > 0 && Math.abs(rate - prev) <= 0.03 * prev;
            if (elapsed > WARMUP_MAX_NANOS || (steady && elapsed > WARMUP_MIN_NANOS)) return;
            prev = rate;
        }
    }

    private static String dtypeOf(Engine e) {
        var t = e.model().optional(org.taylormlp.model.TensorNames.blk(0, org.taylormlp.model.TensorNames.ATTN_Q));
        return t == null ? "" : t.dtype().name();
    }

    static long fileBytes(Path p) {
        try {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
                }
            }
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }

    public static String markdownHeader() {
        return "| model | type | size | params | backend | weights | threads | test | t/s | bound t/s | % of bound | peak RSS |\n"
                + "| --- | --- | ---: | ---: | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |\n";
    }

    public static String markdownRow(Row r) {
        boolean bound = Double.isFinite(r.boundTokensPerSecond());
        return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d | %s | %.2f ± %.2f | %s | %s | %s |%n",
                r.model(), r.type(), mib(r.modelBytes()), params(r.params()), r.backend(), r.weights(), r.threads(), r.test(),
                r.tokensPerSecond().mean(), r.tokensPerSecond().sd(),
                bound ? String.format(Locale.ROOT, "%.1f", r.boundTokensPerSecond()) : "-",
                bound ? String.format(Locale.ROOT, "%.0f %%", 100 * r.tokensPerSecond().mean() / r.boundTokensPerSecond()) : "-",
                mib(r.peakRssBytes()));
    }

    static String mib(long b) {
        return b < 0 ? "?" : String.format(Locale.ROOT, "%.2f MiB", b / 1048576.0);
    }

    static String params(long n) {
        return n >= 1e9 ? String.format(Locale.ROOT, "%.2f B", n / 1e9) : n >= 1e6 ? String.format(Locale.ROOT, "%.2f M", n / 1e6)
                : String.format(Locale.ROOT, "%.2f K", n / 1e3);
    }

    public static ArrayNode json(List<Row> rows) {
        ObjectMapper m = new ObjectMapper();
        ArrayNode a = m.createArrayNode();
        for (Row r : rows) {
            ObjectNode o = a.addObject();
            o.put("model", r.model());
            o.put("model_type", r.type());
            o.put("model_bytes", r.modelBytes());
            o.put("params", r.params());
            o.put("backend", r.backend());
            o.put("weights", r.weights());
            o.put("test", r.test());
            o.put("threads", r.threads());
            o.put("n_tokens", r.tokens());
            o.put("repetitions", r.repetitions());
            o.put("tokens_per_second", r.tokensPerSecond().mean());
            o.put("stddev", r.tokensPerSecond().sd());
            ArrayNode s = o.putArray("samples_ts");
            for (double v : r.tokensPerSecond().samples()) s.add(v);
            if (r.tokenLatency() != null) {
                ObjectNode l = o.putObject("token_latency_ms");
                l.put("p50", r.tokenLatency().p50Ms());
                l.put("p99", r.tokenLatency().p99Ms());
                l.put("max", r.tokenLatency().maxMs());
            } else {
                o.putNull("token_latency_ms");
            }
            o.put("peak_rss_bytes", r.peakRssBytes());
            o.put("weight_bytes_per_token", r.bytesPerToken());
            o.put("bandwidth_bytes_per_second", r.bandwidthBytesPerSecond());
            if (Double.isFinite(r.boundTokensPerSecond())) o.put("bound_tokens_per_second", r.boundTokensPerSecond());
            else o.putNull("bound_tokens_per_second");
        }
        return a;
    }
}
