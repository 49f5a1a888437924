package org.taylormlp.runtime;

import org.taylormlp.runtime.Engine;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Text a model samples itself: calibration and evaluation data that needs no data set. */
public final class SelfText {
    private SelfText() {}

    /** Sequences of about 256 tokens sampled from BOS at temperature 1 with consecutive seeds. */
    public static List<int[]> sample(Engine e, int tokens, long seed0) {
        Tokenizer tok = e.model().tokenizer();
        List<int[]> out = new ArrayList<>();
        int total = 0;
        for (long seed = seed0; total < tokens; seed++) {
            int n = Math.min(256, tokens - total);
            int[] gen = new Generator(e.transformer(), tok).generate(new int[]{tok.bosId()}, n - 1,
                    new Sampler(1.0f, 1.0f, 0, seed), null).tokens();
            int[] seq = new int[gen.length + 1];
            seq[0] = tok.bosId();
            System.arraycopy(gen, 0, seq, 1, gen.length);
            if (seq.length >= 2) out.add(seq);
            total += seq.length;
        }
        return out;
    }

}
