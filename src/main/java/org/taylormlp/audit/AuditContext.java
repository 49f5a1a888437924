package org.taylormlp.audit;

import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelConfig;
import org.taylormlp.taylor.ReleaseReader;
import org.taylormlp.tensor.DType;
import org.taylormlp.taylor.ReleaseFormat;

import java.nio.file.Path;
import java.util.List;

/**
 * What the attacks share: the release (opened as a runnable engine), public text, the output folder, and what
 * earlier attacks produced. {@link #original()} is null unless the caller supplied the original for scoring.
 */
public final class AuditContext {
    final Path releasePath;
    final Engine release;
    final Engine original;
    final int threads;
    final Path outDir;
    final AuditOptions options;
    /** Public token sequences (given text, or sampled by the release itself). */
    final List<int[]> text;
    final String textSource;

    /** Set by the zero-query attack. */
    RecoveredWeights recovered;
    /** Per layer, protected neuron j → index of the matched original neuron (only with an original). */
    int[][] matching;
    /** Set by the speed-up attack. */
    Path recoveredModel;

    AuditContext(Path releasePath, Engine release, Engine original, int threads, Path outDir, AuditOptions options,
                 List<int[]> text, String textSource) {
        this.releasePath = releasePath;
        this.release = release;
        this.original = original;
        this.threads = threads;
        this.outDir = outDir;
        this.options = options;
        this.text = text;
        this.textSource = textSource;
    }

    public Engine original() { return original; }

    AuditOptions options() { return options; }

    Model releaseModel() { return release.model(); }

    ModelConfig config() { return release.model().config(); }

    ReleaseReader.Info info() { return ReleaseReader.info(release.model()); }

    /** Unit roundoff of the stored coefficients (2^-24 for f32, 2^-11 f16, 2^-8 bf16). */
    double thetaRoundoff() {
        for (int l = 0; l < config().nLayers(); l++) {
            if (info().protectedPerLayer()[l] > 0) {
                DType d = releaseModel().require(ReleaseFormat.taylorTheta(l)).dtype();
                return switch (d) {
                    case F16 -> 0x1p-11;
                    case BF16 -> 0x1p-8;
                    default -> 0x1p-24;
                };
            }
        }
        return 0x1p-24;
    }

    /**
     * Relative error at which a recovered neuron counts as "recovered to storage precision": 16 units of roundoff
     * of the coefficient storage type, but never below 1e-6 (the float32 gate rows are rounded once more when they
     * are rescaled by r).
     */
    double neuronTolerance() {
        return Math.max(16 * thetaRoundoff(), 1e-6);
    }
}
