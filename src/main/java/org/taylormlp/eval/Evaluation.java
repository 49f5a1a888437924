package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.Version;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.Progress;
import org.taylormlp.runtime.TextData;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.nn.Transformer;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The {@code eval} workflow: fidelity of a release to its original on text, task answers, speed, and an optional
 * sweep over the Taylor order N. Every section's result is saved under {@code OUT/checkpoints/} as soon as it is
 * done (atomically); {@code resume} reuses sections whose parameters and input files are unchanged, so an
 * interrupted run continues where it stopped. Writes {@code report.json}, {@code report.md} and PNG plots.
 */
public final class Evaluation {
    private Evaluation() {}

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public record Options(Path original, Path tokenizer, Path release, List<Path> data, int skipParagraphs,
                          Path calibrationText, long calibrationTokens, long maxTokens, int window,
                          int prompts, int promptTokens, int greedyTokens,
                          List<String> tasks, Path taskData, int taskItems, int gsm8kTokens, List<String> mmluSubjects,
                          List<Integer> orders, Path calibration, List<String> select, long sweepTokens,
                          int speedPrompt, int speedGen, int speedReps, int threads, Path out, boolean resume, boolean plots) {}

    /** Runs everything and returns report.json's content. */
    public static ObjectNode run(Options o) {
        try {
            Files.createDirectories(o.out().resolve("checkpoints"));
        } catch (IOException e) {
            throw new TaylorMlpException("cannot create " + o.out() + ": " + e.getMessage(), e);
        }
        if (!o.orders().isEmpty() && o.calibration() == null) {
            throw new TaylorMlpException("--orders needs --calibration FILE (the statistics the sweep re-protects from)");
        }
        String loadStart = loadAverage();
        Checkpoints cp = new Checkpoints(o.out().resolve("checkpoints"), o.resume(),
                identity(o.original()) + "|" + identity(o.release()));
        try (Engine a = Engine.open(o.original(), o.tokenizer(), o.threads(), 4096);
             Engine b = Engine.open(o.release(), null, o.threads(), 4096)) {
            Transformer ta = a.transformer(), tb = b.transformer();
            if (ta.config().vocabSize() != tb.config().vocabSize()) {
                throw new TaylorMlpException("the release's vocabulary (" + tb.config().vocabSize() + ") differs from the original's ("
                        + ta.config().vocabSize() + ")");
            }
            Tokenizer tok = a.model().tokenizer();
            int ctx = Math.min(ta.maxContext(), tb.maxContext());
            int window = o.window() > 0 ? Math.min(o.window(), ctx) : ctx;
            ReleaseReader.Info info = ReleaseReader.info(b.model());

            ObjectNode report = JSON.createObjectNode();
            report.put("tool", "taylormlp " + Version.VERSION);
            report.put("original", o.original().toString());
            report.put("release", o.release().toString());
            if (info != null) {
                ObjectNode r = report.putObject("release_info");
                r.put("order", info.order());
                r.put("selection", info.selection());
                r.put("fraction_mlp_params_in_clear", info.fractionMlpParamsInClear());
                long prot = 0;
                for (int p : info.protectedPerLayer()) prot += p;
                r.put("protected_neurons", prot);
                r.put("total_neurons", (long) ta.config().hiddenDim() * ta.config().nLayers());
            }
            report.put("window", window);
            report.put("threads", o.threads());

            // ---- held-out text -------------------------------------------------------------------------------
            List<HeldOut> held = new ArrayList<>();
            for (Path f : o.data()) held.add(heldOut(f, tok, o, ctx));

            // ---- fidelity per data file ----------------------------------------------------------------------
            ArrayNode dataNodes = report.putArray("data");
            for (int i = 0; i < held.size(); i++) {
                HeldOut h = held.get(i);
                String key = "fidelity-" + i + "|" + h.describe() + "|w" + window + "|t" + o.maxTokens();
                JsonNode n = cp.section("fidelity-" + i, key, () -> {
                    int[] stream = h.stream(tok, o.maxTokens());
                    Fidelity.TeacherForced tf;
                    RangeProbe probe = RangeProbe.attach(tb);
                    try (Progress bar = Progress.start("fidelity " + h.file().getFileName(), stream.length)) {
                        tf = Fidelity.teacherForced(ta, tb, stream, window, tok.bosId(), bar::stepTo, null);
                    } finally {
                        probe.detach();
                    }
                    ObjectNode d = JSON.createObjectNode();
                    d.put("file", h.file().toString());
                    d.put("paragraphs_total", h.paragraphs().size() + h.skipped());
                    d.put("paragraphs_skipped", h.skipped());
                    d.put("skip_reason", h.reason());
                    d.put("stream_tokens", stream.length);
                    d.put("windows", Fidelity.windows(stream.length, window).size());
                    putTf(d, tf);
                    if (probe.count > 0) {
                        ObjectNode ti = d.putObject("taylor_inputs");
                        ti.put("values", probe.count);
                        ti.put("fraction_outside_calibrated_range", (double) probe.outside1 / probe.count);
                        ti.put("fraction_beyond_twice_the_range", (double) probe.outside2 / probe.count);
                        ti.put("max_abs_t", probe.maxAbs);
                    }
                    return d;
                });
                dataNodes.add(n);
            }
            aggregateFidelity(report, dataNodes);

            // ---- greedy continuations ------------------------------------------------------------------------
            if (o.prompts() > 0 && !held.isEmpty()) {
                String key = "greedy|" + describeAll(held) + "|p" + o.prompts() + "|" + o.promptTokens() + "|" + o.greedyTokens();
                JsonNode g = cp.section("greedy", key, () -> {
                    List<int[]> ps = prompts(held, tok, o.prompts(), o.promptTokens());
                    int gen = Math.max(1, Math.min(o.greedyTokens(), ctx - o.promptTokens()));
                    Fidelity.Greedy gr;
                    try (Progress bar = Progress.start("greedy", ps.size())) {
                        gr = Fidelity.greedy(ta, tb, tok, ps, gen, bar::stepTo);
                    }
                    ObjectNode n = JSON.createObjectNode();
                    n.put("prompts", gr.prompts());
                    n.put("prompt_tokens", o.promptTokens());
                    n.put("tokens", gen);
                    n.put("identical", gr.identical());
                    n.put("match_rate", gr.matchRate());
                    ArrayNode fd = n.putArray("first_divergence");
                    for (int v : gr.firstDivergence()) fd.add(v);
                    return n;
                });
                report.set("greedy", g);
                report.put("greedy_match_rate", g.path("match_rate").asDouble());
            } else {
                report.putNull("greedy_match_rate");
            }

            // ---- tasks ---------------------------------------------------------------------------------------
            ObjectNode tasks = report.putObject("tasks");
            for (String task : o.tasks()) {
                String key = "task|spread|" + task + "|" + o.taskItems() + "|" + o.mmluSubjects() + "|" + o.gsm8kTokens() + "|" + ctx;
                JsonNode n = cp.section("task-" + task, key, () -> task(task, o, tok, ta, tb, ctx));
                tasks.set(task, n);
            }

            // ---- speed of the release ------------------------------------------------------------------------
            if (o.speedReps() > 0) {
                String key = "speed|" + o.speedPrompt() + "|" + o.speedGen() + "|" + o.speedReps() + "|" + o.threads();
                JsonNode s = cp.section("speed", key, () -> speed(ta, tb, o, ctx));
                report.set("speed", s);
                report.put("slowdown", s.path("slowdown_decode").asDouble());
                report.put("slowdown_predicted", s.path("slowdown_predicted_bytes").asDouble());
            } else {
                report.putNull("slowdown");
            }

            // ---- sweep over N --------------------------------------------------------------------------------
            if (!o.orders().isEmpty()) {
                CalibrationStats stats = CalibrationFile.load(o.calibration());
                List<String> rules = o.select() != null && !o.select().isEmpty() ? o.select()
                        : List.of(info != null ? info.selection() : Protection.DEFAULT_RULE);
                ArrayNode sweep = report.putArray("sweep");
                report.put("sweep_selection", String.join(", ", rules));
                HeldOut h = held.isEmpty() ? null : held.get(0);
                if (h == null) throw new TaylorMlpException("--orders needs a --data file for the fidelity part of the sweep");
                int[] stream = h.stream(tok, o.sweepTokens());
                for (String rule : rules) {
                    for (int n : o.orders()) {
                        String key = "sweep|" + n + "|" + rule + "|" + identity(o.calibration()) + "|" + h.describe() + "|" + o.sweepTokens()
                                + "|" + o.speedPrompt() + "|" + o.speedGen() + "|" + o.speedReps() + "|" + o.threads() + "|w" + window;
                        sweep.add(cp.section("sweep-" + rule + "-N" + n, key, () -> sweepPoint(a, n, rule, stats, stream, window, tok, o, ctx)));
                    }
                }
            }
            report.put("machine_load_start", loadStart);
            report.put("machine_load_end", loadAverage());
            report.put("cores", Runtime.getRuntime().availableProcessors());

            writeOutputs(report, o);
            return report;
        }
    }

    // ================================================================================================ held-out text

    /** The evaluation paragraphs of one --data file after the skipped (calibration) ones. */
    record HeldOut(Path file, List<String> paragraphs, int skipped, String reason) {
        String describe() {
            return file.toAbsolutePath().normalize() + "@" + identity(file) + "#" + skipped;
        }

        /** Documents (each with BOS) concatenated, up to {@code maxTokens} tokens (0 = all). */
        int[] stream(Tokenizer tok, long maxTokens) {
            int[] out = new int[1024];
            int n = 0;
            for (String p : paragraphs) {
                int[] ids = tok.encode(p, true);
                int take = maxTokens > 0 ? (int) Math.min(ids.length, maxTokens - n) : ids.length;
                if (n + take > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + take));
                System.arraycopy(ids, 0, out, n, take);
                n += take;
                if (maxTokens > 0 && n >= maxTokens) break;
            }
            return Arrays.copyOf(out, n);
        }
    }

    static HeldOut heldOut(Path f, Tokenizer tok, Options o, int ctx) {
        List<String> all = TextData.paragraphs(f);
        int skip = o.skipParagraphs();
        String reason = skip > 0 ? "--skip-paragraphs " + skip : "none";
        if (o.calibrationText() != null && sameFile(f, o.calibrationText())) {
            int c = calibrationParagraphs(tok, all, o.calibrationTokens(), Math.min(4096, ctx));
            if (c > skip) {
                skip = c;
                reason = "the first " + c + " paragraphs are the calibration text (" + o.calibrationTokens() + " tokens)";
            }
        }
        skip = Math.min(skip, all.size());
        return new HeldOut(f, all.subList(skip, all.size()), skip, reason);
    }

    /**
     * How many leading paragraphs {@code taylormlp calibrate/protect --text F --max-tokens T} reads (the same
     * encoding as {@link TextData#encode}); a paragraph read only in part counts as read.
     */
    public static int calibrationParagraphs(Tokenizer tok, List<String> paragraphs, long maxTokens, int maxLen) {
        if (maxTokens <= 0) return paragraphs.size();
        long total = 0;
        for (int i = 0; i < paragraphs.size(); i++) {
            int len = Math.min(tok.encode(paragraphs.get(i), true).length, maxLen);
            if (len < 2) continue;
            total += len;
            if (total >= maxTokens) return i + 1;
        }
        return paragraphs.size();
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    static List<int[]> prompts(List<HeldOut> held, Tokenizer tok, int count, int promptTokens) {
        List<int[]> out = new ArrayList<>();
        int[] idx = new int[held.size()];
        boolean progress = true;
        while (out.size() < count && progress) { // round-robin over the files
            progress = false;
            for (int f = 0; f < held.size() && out.size() < count; f++) {
                List<String> ps = held.get(f).paragraphs();
                while (idx[f] < ps.size()) {
                    int[] ids = tok.encode(ps.get(idx[f]++), true);
                    if (ids.length > promptTokens) {
                        out.add(Arrays.copyOf(ids, promptTokens));
                        progress = true;
                        break;
                    }
                }
            }
        }
        return out;
    }

    // ================================================================================================ fidelity

    static void putTf(ObjectNode d, Fidelity.TeacherForced tf) {
        d.put("positions", tf.positions());
        d.put("teacher_forced_agreement", tf.agreement());
        d.put("kl_mean", tf.klMean());
        d.put("kl_max", tf.klMax());
        d.put("max_abs_logit_diff", tf.maxAbsLogit());
        d.put("nll_original", tf.nllOriginal());
        d.put("nll_release", tf.nllRelease());
        d.put("perplexity_original", tf.perplexityOriginal());
        d.put("perplexity_release", tf.perplexityRelease());
    }

    /** Top-level fidelity numbers over all --data files: positions-weighted means and maxima; perplexity of the first file. */
    static void aggregateFidelity(ObjectNode report, ArrayNode data) {
        long pos = 0;
        double agree = 0, kl = 0, klMax = 0, maxAbs = 0;
        for (JsonNode d : data) {
            long p = d.path("positions").asLong();
            pos += p;
            agree += p * d.path("teacher_forced_agreement").asDouble();
            kl += p * d.path("kl_mean").asDouble();
            klMax = Math.max(klMax, d.path("kl_max").asDouble());
            maxAbs = Math.max(maxAbs, d.path("max_abs_logit_diff").asDouble());
        }
        if (pos == 0) {
            for (String k : List.of("teacher_forced_agreement", "kl_mean", "kl_max", "max_abs_logit_diff", "perplexity_original",
                    "perplexity_release")) report.putNull(k);
            return;
        }
        report.put("teacher_forced_agreement", agree / pos);
        report.put("kl_mean", kl / pos);
        report.put("kl_max", klMax);
        report.put("max_abs_logit_diff", maxAbs);
        // Perplexity pooled over different texts means little: the top-level figures are the first --data file's.
        JsonNode first = data.get(0);
        report.put("perplexity_original", first.path("perplexity_original").asDouble());
        report.put("perplexity_release", first.path("perplexity_release").asDouble());
        report.put("perplexity_file", first.path("file").asText());
    }

    /**
     * Counts the normalised Taylor inputs t = (g − z0)/r of a release's protected neurons: |t| ≤ 1 is the calibrated
     * range; beyond it the truncated series is extrapolating (and beyond the convergence radius, diverging).
     */
    static final class RangeProbe {
        final List<org.taylormlp.nn.FeedForward> attached = new ArrayList<>();
        long count, outside1, outside2;
        double maxAbs;

        static RangeProbe attach(Transformer t) {
            RangeProbe p = new RangeProbe();
            for (int l = 0; l < t.config().nLayers(); l++) {
                if (t.feedForward(l) instanceof org.taylormlp.taylor.TaylorFeedForward f) {
                    f.setProbe((v, off, len) -> {
                        for (int i = off; i < off + len; i++) {
                            double a = Math.abs(v[i]);
                            p.count++;
                            if (a > 1) p.outside1++;
                            if (a > 2) p.outside2++;
                            if (a > p.maxAbs) p.maxAbs = a;
                        }
                    });
                    p.attached.add(f);
                }
            }
            return p;
        }

        void detach() {
            for (var f : attached) f.setProbe(null);
        }
    }

    // ================================================================================================ tasks

    static ObjectNode task(String task, Options o, Tokenizer tok, Transformer ta, Transformer tb, int ctx) {
        Path d = o.taskData();
        ObjectNode n = JSON.createObjectNode();
        if (task.equals("gsm8k")) {
            List<TaskData.GenItem> items = TaskData.gsm8k(d.resolve("gsm8k").resolve("test.jsonl"), o.taskItems());
            TaskEval.GenResult r;
            try (Progress bar = Progress.start("gsm8k", items.size())) {
                r = TaskEval.generation(items, tok, ta, tb, o.gsm8kTokens(), bar::stepTo, null);
            }
            n.put("kind", "generation");
            n.put("items", r.items());
            n.put("accuracy_original", r.accuracyOriginal());
            n.put("accuracy_release", r.accuracyRelease());
            n.put("agreement", r.agreement());
            n.put("identical_text_rate", r.identicalTextRate());
            n.put("max_new_tokens", Math.max(1, Math.min(o.gsm8kTokens(), ctx / 2)));
            ArrayNode per = n.putArray("answers");
            for (int i = 0; i < r.items(); i++) {
                ObjectNode x = per.addObject();
                x.put("id", items.get(i).id());
                x.put("gold", r.gold()[i]);
                x.put("original", r.answerOriginal()[i]);
                x.put("release", r.answerRelease()[i]);
            }
            return n;
        }
        List<TaskData.McItem> items = switch (task) {
            case "mmlu" -> TaskData.mmlu(d, o.mmluSubjects(), o.taskItems());
            case "truthfulqa" -> TaskData.truthfulqa(d.resolve("truthfulqa").resolve("TruthfulQA.csv"), o.taskItems());
            case "pubmedqa" -> TaskData.pubmedqa(d.resolve("pubmedqa"), o.taskItems());
            default -> throw new TaylorMlpException("unknown task '" + task + "' (mmlu, truthfulqa, pubmedqa, gsm8k)");
        };
        TaskEval.McResult r;
        try (Progress bar = Progress.start(task, items.size())) {
            r = TaskEval.multipleChoice(items, tok, ctx, TaskEval.scorer(ta), TaskEval.scorer(tb), bar::stepTo, null);
        }
        n.put("kind", "multiple_choice");
        n.put("items", r.items());
        n.put("accuracy_original", r.accuracyOriginal());
        n.put("accuracy_release", r.accuracyRelease());
        n.put("agreement", r.agreement());
        n.put("chance", r.chance());
        ArrayNode per = n.putArray("predictions"); // [id, gold, original, release]
        for (int i = 0; i < r.items(); i++) {
            ArrayNode x = per.addArray();
            x.add(items.get(i).id());
            x.add(r.gold()[i]);
            x.add(r.predOriginal()[i]);
            x.add(r.predRelease()[i]);
        }
        if (task.equals("mmlu")) {
            ObjectNode subj = n.putObject("subjects");
            for (String s : o.mmluSubjects()) {
                int k = 0, ca = 0, cb = 0, ag = 0;
                for (int i = 0; i < items.size(); i++) {
                    if (!items.get(i).id().startsWith(s + "/")) continue;
                    k++;
                    if (r.predOriginal()[i] == r.gold()[i]) ca++;
                    if (r.predRelease()[i] == r.gold()[i]) cb++;
                    if (r.predOriginal()[i] == r.predRelease()[i]) ag++;
                }
                ObjectNode x = subj.putObject(s);
                x.put("items", k);
                x.put("accuracy_original", k == 0 ? Double.NaN : (double) ca / k);
                x.put("accuracy_release", k == 0 ? Double.NaN : (double) cb / k);
                x.put("agreement", k == 0 ? Double.NaN : (double) ag / k);
            }
        }
        return n;
    }

    // ================================================================================================ speed

    /**
     * Prefill and decode tokens/s of both models, measured in alternation (original, release, original, ...) after
     * a warm-up so that machine load affects both alike; slowdowns are ratios of the medians.
     */
    static ObjectNode speed(Transformer ta, Transformer tb, Options o, int ctx) {
        int p = Math.max(1, Math.min(o.speedPrompt(), ctx));
        int g = Math.max(1, Math.min(o.speedGen(), ctx));
        int vocab = ta.config().vocabSize();
        int reps = Math.max(1, o.speedReps());
        double[] pa = new double[reps], pb = new double[reps], ga = new double[reps], gb = new double[reps];
        Speed.prefillSeconds(ta, Speed.randomTokens(p, vocab, 1));
        Speed.prefillSeconds(tb, Speed.randomTokens(p, vocab, 1));
        Speed.decodeSeconds(ta, Speed.randomTokens(Math.min(g, 16), vocab, 2));
        Speed.decodeSeconds(tb, Speed.randomTokens(Math.min(g, 16), vocab, 2));
        try (Progress bar = Progress.start("speed", reps)) {
            for (int r = 0; r < reps; r++) {
                int[] pt = Speed.randomTokens(p, vocab, 100 + r), gt = Speed.randomTokens(g, vocab, 200 + r);
                pa[r] = p / Speed.prefillSeconds(ta, pt);
                pb[r] = p / Speed.prefillSeconds(tb, pt);
                ga[r] = g / Speed.decodeSeconds(ta, gt);
                gb[r] = g / Speed.decodeSeconds(tb, gt);
                bar.stepTo(r + 1);
            }
        }
        Speed.Stats spa = Speed.Stats.of(pa), spb = Speed.Stats.of(pb), sga = Speed.Stats.of(ga), sgb = Speed.Stats.of(gb);
        ObjectNode n = JSON.createObjectNode();
        n.put("prompt_tokens", p);
        n.put("gen_tokens", g);
        n.put("repetitions", reps);
        putStats(n, "prefill_tps_original", spa);
        putStats(n, "prefill_tps_release", spb);
        putStats(n, "decode_tps_original", sga);
        putStats(n, "decode_tps_release", sgb);
        // The fastest repetition is the one least disturbed by other load on the machine: slowdowns compare best to best.
        n.put("slowdown_decode", max(ga) / max(gb));
        n.put("slowdown_prefill", max(pa) / max(pb));
        n.put("slowdown_decode_median", sga.median() / sgb.median());
        n.put("slowdown_prefill_median", spa.median() / spb.median());
        n.put("decode_tps_original_best", max(ga));
        n.put("decode_tps_release_best", max(gb));
        n.put("prefill_tps_original_best", max(pa));
        n.put("prefill_tps_release_best", max(pb));
        n.put("weight_bytes_per_token_original", ta.weightBytesPerToken());
        n.put("weight_bytes_per_token_release", tb.weightBytesPerToken());
        n.put("slowdown_predicted_bytes", (double) tb.weightBytesPerToken() / ta.weightBytesPerToken());
        return n;
    }

    static double max(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : a) m = Math.max(m, v);
        return m;
    }

    static void putStats(ObjectNode n, String key, Speed.Stats s) {
        n.put(key, s.median());
        n.put(key + "_mean", s.mean());
        n.put(key + "_sd", s.sd());
    }

    // ================================================================================================ sweep

    static ObjectNode sweepPoint(Engine a, int order, String rule, CalibrationStats stats, int[] stream, int window, Tokenizer tok,
                                 Options o, int ctx) {
        Path tmp;
        try {
            tmp = Files.createTempFile("taylormlp-sweep-N" + order + "-", ".safetensors");
        } catch (IOException e) {
            throw new TaylorMlpException("cannot create a temporary release file: " + e.getMessage(), e);
        }
        TempFiles.register(tmp);
        try {
            Protection.Result pr = Protection.run(a.model(), a.transformer().weightBytesPerToken(), stats, rule, order, null,
                    Protection.defaultOptions(a.model().config().activation()), tmp, null);
            try (Engine r = Engine.open(tmp, null, o.threads(), 4096)) {
                Fidelity.TeacherForced tf;
                try (Progress bar = Progress.start("sweep N=" + order, stream.length)) {
                    tf = Fidelity.teacherForced(a.transformer(), r.transformer(), stream, window, tok.bosId(), bar::stepTo, null);
                }
                ObjectNode n = JSON.createObjectNode();
                n.put("order", order);
                n.put("selection", rule);
                n.put("protected_neurons", pr.summary().protectedNeurons());
                n.put("total_neurons", pr.summary().totalNeurons());
                n.put("release_bytes", pr.summary().bytes());
                n.put("slowdown_predicted_cost_model", pr.predictedSlowdown());
                putTf(n, tf);
                if (o.speedReps() > 0) {
                    ObjectNode s = speed(a.transformer(), r.transformer(), o, ctx);
                    n.put("slowdown", s.path("slowdown_decode").asDouble());
                    n.put("slowdown_prefill", s.path("slowdown_prefill").asDouble());
                    n.put("slowdown_predicted", s.path("slowdown_predicted_bytes").asDouble());
                    n.set("speed", s);
                }
                return n;
            }
        } finally {
            TempFiles.delete(tmp);
        }
    }

    /** Temporary releases of the sweep: deleted after use and by a shutdown hook on interrupt. */
    static final class TempFiles {
        private static final java.util.Set<Path> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (Path p : LIVE) {
                    try {
                        Files.deleteIfExists(p);
                        Files.deleteIfExists(AtomicFiles.tmpFor(p));
                    } catch (IOException ignored) {
                        // best effort at exit
                    }
                }
            }, "eval-temp-cleanup"));
        }

        static void register(Path p) { LIVE.add(p); }

        static void delete(Path p) {
            try {
                Files.deleteIfExists(p);
                Files.deleteIfExists(AtomicFiles.tmpFor(p));
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
            LIVE.remove(p);
        }
    }

    // ================================================================================================ checkpoints

    /** Section results saved as they complete; reused on resume when their key (parameters + inputs) matches. */
    static final class Checkpoints {
        private final Path dir;
        private final boolean resume;
        private final String inputs;

        Checkpoints(Path dir, boolean resume, String inputs) {
            this.dir = dir;
            this.resume = resume;
            this.inputs = inputs;
        }

        JsonNode section(String name, String key, Supplier<JsonNode> compute) {
            String fullKey = sha(inputs + "|" + key);
            Path f = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
            if (resume && Files.isRegularFile(f)) {
                try {
                    JsonNode saved = JSON.readTree(f.toFile());
                    if (fullKey.equals(saved.path("key").asText())) {
                        System.err.println("resume: reusing " + name + " from " + f);
                        return saved.get("result");
                    }
                    System.err.println("resume: " + name + " was computed with other parameters or inputs; recomputing");
                } catch (IOException e) {
                    System.err.println("resume: cannot read " + f + " (" + e.getMessage() + "); recomputing");
                }
            }
            long t0 = System.nanoTime();
            JsonNode result = compute.get();
            ObjectNode wrap = JSON.createObjectNode();
            wrap.put("key", fullKey);
            wrap.put("seconds", (System.nanoTime() - t0) / 1e9);
            wrap.set("result", result);
            writeJson(f, wrap);
            return result;
        }
    }

    static String identity(Path p) {
        try {
            return p.toAbsolutePath().normalize() + ":" + Bench.fileBytes(p) + ":" + Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize().toString();
        }
    }

    static String sha(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String describeAll(List<HeldOut> held) {
        StringBuilder sb = new StringBuilder();
        for (HeldOut h : held) sb.append(h.describe()).append(';');
        return sb.toString();
    }

    static void writeJson(Path f, JsonNode n) {
        writeText(f, toJson(n));
    }

    static String toJson(JsonNode n) {
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static void writeText(Path f, String s) {
        try {
            AtomicFiles.write(f, ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8))));
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write " + f + ": " + e.getMessage(), e);
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    // ================================================================================================ outputs

    static void writeOutputs(ObjectNode report, Options o) {
        List<String> plots = new ArrayList<>();
        if (o.plots()) plots = Plots.write(report, o.out());
        ArrayNode pl = report.putArray("plots");
        for (String p : plots) pl.add(p);
        writeJson(o.out().resolve("report.json"), report);
        writeText(o.out().resolve("report.md"), ReportMarkdown.render(report, o));
    }

    /**
     * The one-line terminal summary of a report, numbers rounded for people (the full-precision values are in
     * report.json): agreement and match rates to 4 / 3 decimals, KL and logit differences to 3 significant digits,
     * perplexities to 3 decimals, the slowdown to 2.
     */
    public static String summaryLine(JsonNode r) {
        return "teacher-forced agreement " + fmt(r.path("teacher_forced_agreement").asDouble(Double.NaN), 4)
                + ", KL mean " + sci(r.path("kl_mean").asDouble(Double.NaN)) + " max " + sci(r.path("kl_max").asDouble(Double.NaN))
                + ", max |dlogit| " + sci(r.path("max_abs_logit_diff").asDouble(Double.NaN))
                + ", ppl " + fmt(r.path("perplexity_original").asDouble(Double.NaN), 3)
                + " vs " + fmt(r.path("perplexity_release").asDouble(Double.NaN), 3)
                + ", greedy match " + fmt(r.path("greedy_match_rate").asDouble(Double.NaN), 3)
                + ", slowdown " + (r.path("slowdown").isNumber() ? fmt(r.path("slowdown").asDouble(), 2) + "x" : "n/a");
    }

    static String fmt(double v, int digits) {
        if (Double.isNaN(v)) return "n/a";
        return String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    static String sci(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
