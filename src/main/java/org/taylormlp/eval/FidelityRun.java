package org.taylormlp.eval;

import org.taylormlp.nn.Transformer;
import org.taylormlp.runtime.Progress;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.List;

/** The text part of an eval: teacher-forced fidelity on each --data file, and greedy continuations. */
final class FidelityRun {
    private FidelityRun() {}

    /** Teacher forcing over the first {@code maxTokens} held-out tokens of one file, in windows of {@code window}. */
    static EvalReport.TextFidelity onText(HeldOutText h, Tokenizer tok, Transformer original, Transformer release, int window,
                                         long maxTokens) {
        int[] stream = h.stream(tok, maxTokens);
        Fidelity.TeacherForced tf;
        RangeProbe probe = RangeProbe.attach(release);
        try (Progress bar = Progress.start("fidelity " + h.file().getFileName(), stream.length)) {
            tf = Fidelity.teacherForced(original, release, stream, window, tok.bosId(), bar::stepTo, null);
        } finally {
            probe.detach();
        }
        return new EvalReport.TextFidelity(h.file().toString(), h.paragraphs().size() + h.skipped(), h.skipped(), h.reason(),
                stream.length, Fidelity.windows(stream.length, window).size(), EvalReport.Scores.of(tf), probe.inputs());
    }

    /** Greedy continuations of {@code prompts} prompts of {@code promptTokens} tokens, {@code tokens} generated (capped by the context). */
    static EvalReport.Greedy greedy(List<HeldOutText> held, Tokenizer tok, Transformer original, Transformer release, int prompts,
                                    int promptTokens, int tokens, int ctx) {
        List<int[]> ps = HeldOutText.prompts(held, tok, prompts, promptTokens);
        int gen = Math.max(1, Math.min(tokens, ctx - promptTokens));
        Fidelity.Greedy gr;
        try (Progress bar = Progress.start("greedy", ps.size())) {
            gr = Fidelity.greedy(original, release, tok, ps, gen, bar::stepTo);
        }
        List<Integer> fd = java.util.Arrays.stream(gr.firstDivergence()).boxed().toList();
        return new EvalReport.Greedy(gr.prompts(), promptTokens, gen, gr.identical(), fd);
    }
}
