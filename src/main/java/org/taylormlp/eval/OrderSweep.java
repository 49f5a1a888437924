package org.taylormlp.eval;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.Progress;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Protection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One point of the sweep over the Taylor order N: the original re-protected into a temporary release with order N
 * and a selection rule, compared with the original on a token stream (and timed when speed is on).
 */
final class OrderSweep {
    private OrderSweep() {}

    static EvalReport.SweepPoint point(Engine original, int order, String rule, CalibrationStats stats, int[] stream, int window,
                                       int bos, EvalOptions o, int ctx) {
        Path tmp;
        try {
            tmp = Files.createTempFile("taylormlp-sweep-N" + order + "-", ".safetensors");
        } catch (IOException e) {
            throw new TaylorMlpException("cannot create a temporary release file: " + e.getMessage(), e);
        }
        TempFiles.register(tmp);
        try {
            Protection.Result pr = Protection.run(original.model(), original.transformer().weightBytesPerToken(), stats, rule, order,
                    null, Protection.defaultOptions(original.model().config().activation()), tmp, null);
            try (Engine r = Engine.open(tmp, null, o.threads(), 4096)) {
                Fidelity.TeacherForced tf;
                try (Progress bar = Progress.start("sweep N=" + order, stream.length)) {
                    tf = Fidelity.teacherForced(original.transformer(), r.transformer(), stream, window, bos, bar::stepTo, null);
                }
                EvalReport.SpeedResult speed = o.speedReps() > 0
                        ? SpeedRun.measure(original.transformer(), r.transformer(), o.speedPrompt(), o.speedGen(), o.speedReps(), ctx)
                        : null;
                return new EvalReport.SweepPoint(order, rule, pr.summary().protectedNeurons(), pr.summary().totalNeurons(),
                        pr.summary().bytes(), pr.predictedSlowdown(), EvalReport.Scores.of(tf), speed);
            }
        } finally {
            TempFiles.delete(tmp);
        }
    }

    /** Temporary releases of the sweep: deleted after use and by a shutdown hook on interrupt. */
    static final class TempFiles {
        private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                for (Path p : LIVE) delete(p);
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
}
