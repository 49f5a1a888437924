package org.taylormlp.trace;

import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.ModelStore;
import org.taylormlp.runtime.TextData;
import org.taylormlp.eval.Fidelity;
import org.taylormlp.model.Model;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import org.taylormlp.taylor.Protection;
import org.taylormlp.taylor.Protector;
import org.taylormlp.taylor.Selection;
import org.taylormlp.tensor.KernelsProvider;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measurement tool (not a test): fidelity of marked default-preset stories15M releases against the unmarked
 * release and the original, for the strengths given as arguments. Text file as first argument (TinyStories
 * validation head: paragraphs 0..599 calibrate, the rest is held out).
 * <pre>java -cp ... org.taylormlp.trace.MarkFidelityProbe TEXT 1e-3 2e-3 4e-3</pre>
 */
public final class MarkFidelityProbe {
    public static void main(String[] args) throws Exception {
        Path text = Path.of(args[0]);
        List<String> all = TextData.paragraphs(text);
        Path dir = Files.createTempDirectory("markprobe");
        byte[] secret = new byte[32];
        Arrays.fill(secret, (byte) 7);
        try (Engine orig = Engine.open(ModelStore.stories15M(null).model(), null, 2, 512)) {
            var tok = orig.model().tokenizer();
            List<int[]> cal = TextData.encode(tok, all.subList(0, 600), 20000, 512);
            CalibrationStats s = Calibrator.calibrate(orig.transformer(), cal, 20000, 512, null);
            Selection.Plan plan = Selection.select(Protection.DEFAULT_RULE, s, orig.model().config().activation(), Protection.DEFAULT_ORDER);
            var po = Protection.defaultOptions(orig.model().config().activation());
            Path rel0 = dir.resolve("unmarked.safetensors");
            Protector.protect(orig.model(), plan, po, rel0, null);
            List<int[]> held = TextData.encode(tok, all.subList(600, all.size()), 20500, 512);
            List<int[]> prompts = new ArrayList<>();
            for (int[] seq : held) if (seq.length >= 12 && prompts.size() < 50) prompts.add(Arrays.copyOf(seq, 12));
            try (Engine r0 = Engine.open(rel0, null, 2, 512)) {
                for (int i = 1; i < args.length; i++) {
                    double eps = Double.parseDouble(args[i]);
                    Model marked = Mark.of(secret, "probe").apply(orig.model(), eps);
                    Path rel = dir.resolve("marked-" + eps + ".safetensors");
                    long t0 = System.nanoTime();
                    Protector.protect(marked, plan, po, rel, null);
                    double protSec = (System.nanoTime() - t0) / 1e9;
                    try (Engine r = Engine.open(rel, null, 2, 512)) {
                        Fidelity.TeacherForced a = Fidelity.teacherForced(r0.transformer(), r.transformer(), held, null);
                        Fidelity.Greedy ga = Fidelity.greedy(r0.transformer(), r.transformer(), tok, prompts, 64);
                        Fidelity.TeacherForced b = Fidelity.teacherForced(orig.transformer(), r.transformer(), held, null);
                        Fidelity.Greedy gb = Fidelity.greedy(orig.transformer(), r.transformer(), tok, prompts, 64);
                        System.out.printf("eps %.1e: vs unmarked release: agreement %.6f over %d (max dlogit %.3g), greedy %d/%d; "
                                        + "vs original: agreement %.6f, greedy %d/%d; protect %.1f s%n", eps, a.agreement(), a.positions(),
                                a.maxAbsLogit(), ga.identical(), ga.prompts(), b.agreement(), gb.identical(), gb.prompts(), protSec);
                    }
                    Files.delete(rel);
                }
                Fidelity.TeacherForced u = Fidelity.teacherForced(orig.transformer(), r0.transformer(), held, null);
                Fidelity.Greedy gu = Fidelity.greedy(orig.transformer(), r0.transformer(), tok, prompts, 64);
                System.out.printf("unmarked release vs original: agreement %.6f over %d, greedy %d/%d%n", u.agreement(), u.positions(), gu.identical(), gu.prompts());
            }
        }
        Files.delete(dir.resolve("unmarked.safetensors"));
        Files.delete(dir);
    }
}
