import org.taylormlp.runtime.Engine;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.taylor.ReleaseIntegrity;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Load time of a release with and without the digest check, side by side in one JVM: ModelLoader.load (open,
 * structural validation, checks; weights stay mapped), alternating the two modes, after WARMUP pairs.
 *
 *   java -cp target/taylormlp.jar:target/lib/'*' scripts/VerifyCost.java RELEASE [ROUNDS=10] [WARMUP=2]
 */
public class VerifyCost {
    public static void main(String[] a) {
        Path release = Path.of(a[0]);
        int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 10, warmup = a.length > 2 ? Integer.parseInt(a[2]) : 2;
        double[] on = new double[rounds], off = new double[rounds];
        for (int r = -warmup; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                boolean check = (r + k) % 2 == 0;
                long t0 = System.nanoTime();
                var policy = new ReleaseIntegrity.Policy(check, null, null, s -> { });
                try (Model m = ScopedValue.where(ReleaseIntegrity.POLICY, policy).call(() -> org.taylormlp.runtime.Models.load(release))) {
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (r >= 0) (check ? on : off)[r] = ms;
                }
            }
        }
        Arrays.sort(on);
        Arrays.sort(off);
        System.out.printf("%s: load with digest check median %.1f ms (min %.1f, max %.1f); without median %.1f ms (min %.1f, max %.1f);"
                        + " %d rounds; load average %s%n", release.getFileName(), on[rounds / 2], on[0], on[rounds - 1], off[rounds / 2],
                off[0], off[rounds - 1], rounds, readLoad());
    }

    static String readLoad() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
