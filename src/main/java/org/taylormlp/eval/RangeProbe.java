package org.taylormlp.eval;

import org.taylormlp.nn.Transformer;
import org.taylormlp.taylor.TaylorFeedForward;

import java.util.ArrayList;
import java.util.List;

/**
 * Counts the normalised Taylor inputs t = (g − z0)/r of a release's protected neurons: |t| ≤ 1 is the calibrated
 * range; beyond it the truncated series is extrapolating (and beyond the convergence radius, diverging).
 */
final class RangeProbe {
    private final List<TaylorFeedForward> attached = new ArrayList<>();
    long count, outside1, outside2;
    double maxAbs;

    static RangeProbe attach(Transformer t) {
        RangeProbe p = new RangeProbe();
        for (int l = 0; l < t.config().nLayers(); l++) {
            if (t.feedForward(l) instanceof TaylorFeedForward f) {
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
        for (TaylorFeedForward f : attached) f.setProbe(null);
    }

    /** What was counted; null when the model has no protected neurons. */
    EvalReport.TaylorInputs inputs() {
        if (count == 0) return null;
        return new EvalReport.TaylorInputs(count, (double) outside1 / count, (double) outside2 / count, maxAbs);
    }
}
