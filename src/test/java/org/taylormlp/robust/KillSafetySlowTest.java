package org.taylormlp.robust;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing lost, the full version: {@code calibrate}, {@code protect}, {@code convert}, {@code eval} and
 * {@code audit} killed with SIGKILL, 4 trials each (20): 3 aimed into the write windows of a watched reference run
 * and 1 at a uniformly drawn moment of the run (see {@link KillSafety}). Every command must be caught writing at
 * least once, no trial may leave a partial file under a final name, and {@code eval --resume} continues after a kill.
 */
@Tag("slow")
class KillSafetySlowTest {
    @TempDir
    Path dir;

    @Test
    void sigkillAtWritesAndRandomMomentsNeverLeavesPartialFiles() throws Exception {
        KillSafety.Inputs in = KillSafety.inputs(dir);
        List<KillSafety.Reference> refs = List.of(
                KillSafety.reference(dir, KillSafety.calibrate(in.model(), in.text(), dir.resolve("x.safetensors"))),
                KillSafety.reference(dir, KillSafety.protect(in.model(), in.calib(), dir.resolve("x.safetensors"))),
                KillSafety.reference(dir, KillSafety.convert(in.model(), dir.resolve("x"))),
                KillSafety.reference(dir, KillSafety.eval(in, dir.resolve("x"))),
                KillSafety.reference(dir, KillSafety.audit(in, dir.resolve("x"))));
        List<KillSafety.Trial> trials = KillSafety.trials(dir, refs, 3, 1, 20241203L);
        assertThat(trials).hasSize(20);
        for (KillSafety.Reference r : refs) {
            assertThat(trials.stream().filter(t -> t.command().equals(r.command().name()) && t.caughtWriting()).count())
                    .as(r.command().name() + ": trials whose kill landed while a temp file existed").isPositive();
        }
        KillSafety.evalResumesAfterKill(dir, in);
    }
}
