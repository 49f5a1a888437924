package org.taylormlp.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.runtime.Engine;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.eval.Speed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Attack 3: speed-up. The zero-query recovery is written as an ordinary checkpoint ({@link ReleaseRecovery#write}),
 * reopened by the engine like any model, compared with the original (greedy continuations, teacher-forced
 * agreement) and timed against the release on the same tokens, side by side in one process.
 */
final class SpeedupAttack implements Attack {
    @Override
    public String id() { return "speedup"; }

    @Override
    public String title() { return "Attack 3: recovered checkpoint (speed-up)"; }

    @Override
    public String run(AuditContext ctx, ObjectNode json) {
        if (ctx.recovered == null) throw new org.taylormlp.TaylorMlpException("speed-up attack needs the zero-query recovery");
        long t0 = System.nanoTime();
        var path = ReleaseRecovery.write(ReleaseRecovery.model(ctx.releaseModel(), ctx.recovered), ctx.outDir);
        ctx.recoveredModel = path;
        ctx.summary.put("recovered_model", path.toString());
        json.put("recovered_model", path.toString());
        json.put("write_seconds", (System.nanoTime() - t0) / 1e9);
        StringBuilder md = new StringBuilder();
        md.append("Recovered checkpoint: `").append(path).append("` (an ordinary ")
                .append(path.toString().endsWith(".gguf") ? "GGUF file, tokenizer embedded" : "Hugging Face folder").append(").\n\n");
        try (Engine rec = Engine.open(path, null, ctx.threads, 4096)) {
            int ctxLen = 1 << 20;
            boolean sameConfig = rec.model().config().withContextLength(ctxLen).equals(ctx.config().withContextLength(ctxLen));
            json.put("config_matches_release", sameConfig);
            if (!sameConfig) {
                json.put("recovered_config", rec.model().config().toString());
                json.put("release_config", ctx.config().toString());
            }
            List<int[]> prompts = new ArrayList<>();
            for (int[] s : ctx.text) {
                if (prompts.size() >= ctx.options().greedyPrompts()) break;
                if (s.length >= 2) prompts.add(Arrays.copyOf(s, Math.min(8, s.length - 1)));
            }
            int g = ctx.options().greedyTokens();
            List<int[]> eval = evalSequences(ctx);
            if (ctx.original() != null) {
                Fidelity.Greedy gr = Fidelity.greedy(ctx.original().transformer(), rec.transformer(), rec.model().tokenizer(), prompts, g);
                Fidelity.Greedy gRel = Fidelity.greedy(ctx.original().transformer(), ctx.release.transformer(), rec.model().tokenizer(), prompts, g);
                boolean identical = gr.identical() == gr.prompts();
                json.put("greedy_prompts", gr.prompts());
                json.put("greedy_tokens", g);
                json.put("greedy_identical_recovered_vs_original", gr.identical());
                json.put("greedy_identical_release_vs_original", gRel.identical());
                ctx.summary.put("recovered_greedy_identical", identical);
                Fidelity.TeacherForced tf = Fidelity.teacherForced(ctx.original().transformer(), rec.transformer(), eval, null);
                Fidelity.TeacherForced tfRel = Fidelity.teacherForced(ctx.original().transformer(), ctx.release.transformer(), eval, null);
                putTf(json.putObject("teacher_forced_recovered_vs_original"), tf);
                putTf(json.putObject("teacher_forced_release_vs_original"), tfRel);
                md.append(String.format(Locale.ROOT, "Greedy continuations (%d prompts × %d tokens): recovered = original on **%d/%d** prompts "
                                + "(release = original on %d/%d). Teacher-forced on %d positions: recovered agreement %.5f, max |Δlogit| %.3g, "
                                + "KL %.3g; release agreement %.5f, max |Δlogit| %.3g, KL %.3g.%n%n",
                        gr.prompts(), g, gr.identical(), gr.prompts(), gRel.identical(), gRel.prompts(), tf.positions(), tf.agreement(),
                        tf.maxAbsLogit(), tf.klMean(), tfRel.agreement(), tfRel.maxAbsLogit(), tfRel.klMean()));
            } else {
                Fidelity.Greedy gr = Fidelity.greedy(ctx.release.transformer(), rec.transformer(), rec.model().tokenizer(), prompts, g);
                json.put("greedy_identical_recovered_vs_release", gr.identical());
                json.put("greedy_prompts", gr.prompts());
                Fidelity.TeacherForced tf = Fidelity.teacherForced(ctx.release.transformer(), rec.transformer(), eval, null);
                putTf(json.putObject("teacher_forced_recovered_vs_release"), tf);
                md.append(String.format(Locale.ROOT, "No original given. Recovered vs release: greedy identical on %d/%d prompts; "
                        + "teacher-forced agreement %.5f, max |Δlogit| %.3g (the release itself carries the Taylor truncation error).%n%n",
                        gr.identical(), gr.prompts(), tf.agreement(), tf.maxAbsLogit()));
            }
            // timing: same tokens, one token per step (decode), interleaved rounds, best of each
            int steps = Math.max(4, Math.min(ctx.options().speedTokens(), Math.min(rec.transformer().maxContext(), ctx.release.transformer().maxContext()) - 1));
            int[] seq = decodeTokens(ctx, steps);
            double bestRel = Double.MAX_VALUE, bestRec = Double.MAX_VALUE, bestOrig = Double.MAX_VALUE;
            for (int round = 0; round < 6; round++) {
                if (round == 0) { // warm-up (JIT), not counted
                    Speed.decodeSeconds(ctx.release.transformer(), seq);
                    Speed.decodeSeconds(rec.transformer(), seq);
                    if (ctx.original() != null) Speed.decodeSeconds(ctx.original().transformer(), seq);
                    continue;
                }
                bestRel = Math.min(bestRel, Speed.decodeSeconds(ctx.release.transformer(), seq));
                bestRec = Math.min(bestRec, Speed.decodeSeconds(rec.transformer(), seq));
                if (ctx.original() != null) bestOrig = Math.min(bestOrig, Speed.decodeSeconds(ctx.original().transformer(), seq));
            }
            double speedup = bestRel / bestRec;
            ctx.summary.put("recovered_speedup", speedup);
            json.put("decode_tokens", seq.length);
            json.put("release_ms_per_token", 1e3 * bestRel / seq.length);
            json.put("recovered_ms_per_token", 1e3 * bestRec / seq.length);
            json.put("release_weight_bytes_per_token", ctx.release.transformer().weightBytesPerToken());
            json.put("recovered_weight_bytes_per_token", rec.transformer().weightBytesPerToken());
            json.put("recovered_speedup", speedup);
            double bytesRatio = (double) ctx.release.transformer().weightBytesPerToken() / rec.transformer().weightBytesPerToken();
            json.put("weight_bytes_ratio", bytesRatio);
            if (ctx.original() != null) {
                json.put("original_ms_per_token", 1e3 * bestOrig / seq.length);
                json.put("recovered_vs_original_time_ratio", bestRec / bestOrig);
            }
            md.append(String.format(Locale.ROOT, "Decode (%d tokens, best of 5 interleaved rounds after a warm-up, %d threads): release %.3f ms/token, "
                            + "recovered %.3f ms/token%s → **speed-up %.2fx**.%n",
                    seq.length, ctx.threads, 1e3 * bestRel / seq.length, 1e3 * bestRec / seq.length,
                    ctx.original() != null ? String.format(Locale.ROOT, ", original %.3f ms/token", 1e3 * bestOrig / seq.length) : "", speedup));
            md.append(String.format(Locale.ROOT, "%nWeight bytes read per token: release %,d, recovered %,d (ratio %.2fx: the load-independent "
                    + "speed-up of memory-bound decoding; the timing above is as noisy as the machine).%n",
                    ctx.release.transformer().weightBytesPerToken(), rec.transformer().weightBytesPerToken(), bytesRatio));
            if (!sameConfig) md.append("\n**Warning:** the reopened checkpoint's configuration differs from the release's.\n");
        }
        return md.toString();
    }

    static void putTf(ObjectNode o, Fidelity.TeacherForced tf) {
        o.put("positions", tf.positions());
        o.put("agreement", tf.agreement());
        o.put("kl_mean", tf.klMean());
        o.put("kl_max", tf.klMax());
        o.put("max_abs_logit_diff", tf.maxAbsLogit());
        o.put("perplexity_reference", tf.perplexityOriginal());
        o.put("perplexity_candidate", tf.perplexityRelease());
    }

    /** Held-out sequences: the tail of the public text, about evalTokens tokens. */
    static List<int[]> evalSequences(AuditContext ctx) {
        List<int[]> out = new ArrayList<>();
        long have = 0;
        for (int i = ctx.text.size() - 1; i >= 0 && have < ctx.options().evalTokens(); i--) {
            out.add(0, ctx.text.get(i));
            have += ctx.text.get(i).length;
        }
        return out;
    }

    private static int[] decodeTokens(AuditContext ctx, int steps) {
        int[] seq = new int[steps];
        int k = 0;
        for (int[] s : ctx.text) {
            for (int t : s) {
                if (k == steps) return seq;
                seq[k++] = t;
            }
        }
        return Arrays.copyOf(seq, k);
    }
}
