package org.taylormlp.robust;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Nothing lost, the fast version (the full one is {@link KillSafetySlowTest}): {@code protect} (a release, its
 * tensors computed and digested while written) and {@code eval} (a folder of checkpoints, JSON, Markdown and PNG)
 * are killed with SIGKILL while they write (3 trials each, aimed into the write windows seen in a watched
 * reference run; see {@link KillSafety}). At least one kill must land while a temp file exists, and no trial may
 * leave a partial file under a final name. And {@code eval --resume} continues after a kill.
 */
class KillSafetyTest {
    @TempDir
    static Path dir;
    static KillSafety.Inputs in;

    @BeforeAll
    static void inputs() throws Exception {
        in = KillSafety.inputs(dir);
    }

    @Test
    void sigkillDuringTheWritesNeverLeavesAPartialFile() throws Exception {
        List<KillSafety.Reference> refs = List.of(
                KillSafety.reference(dir, KillSafety.protect(in.model(), in.calib(), dir.resolve("x.safetensors"))),
                KillSafety.reference(dir, KillSafety.eval(in, dir.resolve("x"))));
        List<KillSafety.Trial> trials = KillSafety.trials(dir, refs, 3, 0, 20261203L);
        assertThat(trials).hasSize(6);
        assertThat(trials.stream().filter(KillSafety.Trial::caughtWriting).count())
                .as("trials whose kill landed while a temp file existed").isPositive();
    }

    @Test
    void evalResumeContinuesAfterSigkill() throws Exception {
        KillSafety.evalResumesAfterKill(dir, in);
    }
}
