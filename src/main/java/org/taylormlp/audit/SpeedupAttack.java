package org.taylormlp.audit;

import org.taylormlp.runtime.Engine;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.eval.Speed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

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
    public AuditReport.Speedup run(AuditContext ctx) {
        if (ctx.recovered == null) throw new org.taylormlp.TaylorMlpException("speed-up attack needs the zero-query recovery");
        long t0 = System.nanoTime();
        var path = ReleaseRecovery.write(ReleaseRecovery.model(ctx.releaseModel(), ctx.recovered), ctx.outDir);
        ctx.recoveredModel = path;
        double writeSeconds = (System.nanoTime() - t0) / 1e9;
        try (Engine rec = Engine.open(path, null, ctx.threads, 4096)) {
            int ctxLen = 1 << 20;
            boolean sameConfig = rec.model().config().withContextLength(ctxLen).equals(ctx.config().withContextLength(ctxLen));
            List<int[]> prompts = new ArrayList<>();
            for (int[] s : ctx.text) {
                if (prompts.size() >= ctx.options().greedyPrompts()) break;
                if (s.length >= 2) prompts.add(Arrays.copyOf(s, Math.min(8, s.length - 1)));
            }
            int g = ctx.options().greedyTokens();
            List<int[]> eval = evalSequences(ctx);
            Fidelity.Greedy gr, gRel = null;
            Fidelity.TeacherForced tf, tfRel = null;
            if (ctx.original() != null) {
                gr = Fidelity.greedy(ctx.original().transformer(), rec.transformer(), rec.model().tokenizer(), prompts, g);
                gRel = Fidelity.greedy(ctx.original().transformer(), ctx.release.transformer(), rec.model().tokenizer(), prompts, g);
                tf = Fidelity.teacherForced(ctx.original().transformer(), rec.transformer(), eval, null);
                tfRel = Fidelity.teacherForced(ctx.original().transformer(), ctx.release.transformer(), eval, null);
            } else {
                gr = Fidelity.greedy(ctx.release.transformer(), rec.transformer(), rec.model().tokenizer(), prompts, g);
                tf = Fidelity.teacherForced(ctx.release.transformer(), rec.transformer(), eval, null);
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
            return new AuditReport.Speedup(path, writeSeconds, sameConfig, sameConfig ? null : rec.model().config().toString(),
                    sameConfig ? null : ctx.config().toString(), ctx.original() != null, gr.prompts(), g, gr.identical(),
                    gRel == null ? -1 : gRel.identical(), tf, tfRel, seq.length, ctx.threads, bestRel, bestRec,
                    ctx.original() != null ? bestOrig : Double.NaN, ctx.release.transformer().weightBytesPerToken(),
                    rec.transformer().weightBytesPerToken());
        }
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
