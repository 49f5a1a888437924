package org.taylormlp.oracle;

import org.taylormlp.nn.Transformer;

/** Greedy decoding in our engine with, per generated token, its softmax probability and the top-1/top-2 logit gap. */
record GreedyTrace(int[] ids, double[] top1, double[] margin) {
    static GreedyTrace run(Transformer t, int[] prompt, int n) {
        int[] ids = new int[n];
        double[] p = new double[n], gap = new double[n];
        float[] logits = t.forward(prompt, 0, prompt.length, 0);
        int pos = prompt.length;
        for (int i = 0; i < n; i++) {
            int best = 0, second = -1;
            for (int v = 1; v < logits.length; v++) {
                if (logits[v] > logits[best]) {
                    second = best;
                    best = v;
                } else if (second < 0 || logits[v] > logits[second]) {
                    second = v;
                }
            }
            double sum = 0;
            for (float l : logits) sum += Math.exp(l - logits[best]);
            ids[i] = best;
            p[i] = 1.0 / sum;
            gap[i] = logits[best] - logits[second];
            if (i + 1 < n) logits = t.forward(best, pos++);
        }
        return new GreedyTrace(ids, p, gap);
    }

    double minMargin() {
        double m = Double.MAX_VALUE;
        for (double g : margin) m = Math.min(m, g);
        return m;
    }

    long distinct() {
        return java.util.Arrays.stream(ids).distinct().count();
    }
}
