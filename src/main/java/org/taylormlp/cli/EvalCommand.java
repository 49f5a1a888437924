package org.taylormlp.cli;

import org.taylormlp.app.Engine;
import org.taylormlp.app.Progress;
import org.taylormlp.app.TextData;
import org.taylormlp.eval.Fidelity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Compare a release with its original: teacher-forced agreement, KL, perplexity, greedy continuations.")
public final class EvalCommand implements Runnable {
    @Option(names = "--original", required = true, paramLabel = "SRC") Path original;
    @Option(names = "--release", required = true, paramLabel = "RELEASE") Path release;
    @Option(names = "--tokenizer", paramLabel = "PATH") Path tokenizer;
    @Option(names = "--data", required = true, arity = "1", paramLabel = "FILE") List<Path> data = new ArrayList<>();
    @Option(names = "--max-tokens", paramLabel = "T") long maxTokens = 20000;
    @Option(names = "--prompts", paramLabel = "P") int prompts = 50;
    @Option(names = "--greedy-tokens", paramLabel = "G") int greedyTokens = 64;
    @Option(names = {"-t", "--threads"}) int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--skip-paragraphs", paramLabel = "K", description = "skip the first K paragraphs (e.g. those used for calibration)")
    int skip = 0;

    @Override
    public void run() {
        try (Engine a = Engine.open(original, tokenizer, threads, 1024); Engine b = Engine.open(release, null, threads, 1024)) {
            List<String> paras = new ArrayList<>();
            for (Path p : data) paras.addAll(TextData.paragraphs(p));
            paras = paras.subList(Math.min(skip, paras.size()), paras.size());
            List<int[]> seqs = TextData.encode(a.model().tokenizer(), paras, maxTokens, 1024);
            Fidelity.TeacherForced tf;
            try (Progress bar = Progress.start("teacher-forced", TextData.tokenCount(seqs))) {
                tf = Fidelity.teacherForced(a.transformer(), b.transformer(), seqs, bar::stepTo);
            }
            System.out.printf("teacher-forced: %d positions, agreement %.5f, KL mean %.3g max %.3g, max |dlogit| %.3g, ppl %.4f vs %.4f%n",
                    tf.positions(), tf.agreement(), tf.klMean(), tf.klMax(), tf.maxAbsLogit(), tf.perplexityOriginal(), tf.perplexityRelease());
            List<int[]> ps = new ArrayList<>();
            for (int i = 0; i < seqs.size() && ps.size() < prompts; i++) {
                int[] s = seqs.get(i);
                if (s.length >= 9) ps.add(java.util.Arrays.copyOf(s, 8));
            }
            Fidelity.Greedy g = Fidelity.greedy(a.transformer(), b.transformer(), a.model().tokenizer(), ps, greedyTokens);
            System.out.printf("greedy: %d/%d prompts identical over %d tokens%n", g.identical(), g.prompts(), greedyTokens);
        }
    }
}
