package org.taylormlp.trace;

import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.ModelStore;
import org.taylormlp.runtime.TextData;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.model.Model;
import org.taylormlp.tensor.KernelsProvider;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Measurement tool (not a test): teacher-forced argmax agreement of the dense stories15M marked at each strength
 * against the unmarked model, on held-out TinyStories paragraphs (600 onwards).
 * <pre>java -cp ... org.taylormlp.trace.MarkStrengthSweep TEXT TOKENS 1e-4 2e-4 5e-4 1e-3</pre>
 */
public final class MarkStrengthSweep {
    public static void main(String[] args) {
        List<String> all = TextData.paragraphs(Path.of(args[0]));
        int tokens = Integer.parseInt(args[1]);
        byte[] secret = new byte[32];
        Arrays.fill(secret, (byte) 7);
        ModelStore.Located s = ModelStore.stories15M(null);
        try (Engine orig = Engine.open(s.model(), s.tokenizer(), 2, 512)) {
            List<int[]> held = TextData.encode(orig.model().tokenizer(), all.subList(600, all.size()), tokens, 512);
            for (int i = 2; i < args.length; i++) {
                double eps = Double.parseDouble(args[i]);
                Model marked = Mark.of(secret, "probe").apply(orig.model(), eps);
                Engine me = new Engine(marked, KernelsProvider.create(2), 512);
                Fidelity.TeacherForced tf = Fidelity.teacherForced(orig.transformer(), me.transformer(), held, null);
                System.out.printf("eps %.1e: agreement %.6f over %d positions (%d differ), max dlogit %.3g%n", eps, tf.agreement(),
                        tf.positions(), Math.round((1 - tf.agreement()) * tf.positions()), tf.maxAbsLogit());
            }
        }
    }
}
