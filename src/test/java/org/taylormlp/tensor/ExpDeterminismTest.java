package org.taylormlp.tensor;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.taylormlp.TestProcesses;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VectorOps#exp(FloatVector)} gives the same bits whichever way the JVM runs it (interpreter or C2, vector or
 * scalar tail), and stays within a few ulps of e^x. The Vector API's own EXP did not: its C2 intrinsic and its
 * Java fallback differ, so logits depended on when the kernels had been compiled.
 */
class ExpDeterminismTest {
    /** Inputs covering softmax (x ≤ 0), SiLU/GELU arguments and the clamps. */
    static float[] inputs() {
        float[] x = new float[4096];
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 200 - 100);
        x[0] = 0f; x[1] = -0f; x[2] = 88f; x[3] = -87.33654f; x[4] = Float.NEGATIVE_INFINITY; x[5] = 1e-8f; x[6] = -1e-8f; x[7] = 0.5f;
        return x;
    }

    /** Hex bits of exp over {@link #inputs()}: full vectors through the vector path, the rest through the scalar one. */
    static String digest() {
        float[] x = inputs();
        int L = FloatVector.SPECIES_PREFERRED.length();
        StringBuilder sb = new StringBuilder();
        float[] out = new float[x.length];
        int i = 0;
        for (; i <= x.length - L; i += L) VectorOps.exp(FloatVector.fromArray(VectorKernels.F, x, i)).intoArray(out, i);
        for (; i < x.length; i++) out[i] = VectorOps.exp(x[i]);
        for (float v : out) sb.append(Integer.toHexString(Float.floatToRawIntBits(v))).append(' ');
        return sb.toString();
    }

    public static void main(String[] args) {
        System.out.print(digest());
    }

    @Test
    void vectorAndScalarPathsAgreeAndAreAccurate() {
        float[] x = inputs();
        float[] v = new float[VectorKernels.F.length()];
        for (int i = 0; i + v.length <= x.length; i += v.length) {
            VectorOps.exp(FloatVector.fromArray(VectorKernels.F, x, i)).intoArray(v, 0);
            for (int k = 0; k < v.length; k++) {
                float s = VectorOps.exp(x[i + k]);
                assertThat(Float.floatToRawIntBits(v[k])).as("exp(%s): vector %s, scalar %s", x[i + k], v[k], s).isEqualTo(Float.floatToRawIntBits(s));
                double truth = Math.exp(Math.min(Math.max(x[i + k], -87.33654f), 88f));
                assertThat(Math.abs(v[k] - truth)).as("exp(%s)", x[i + k]).isLessThanOrEqualTo(3 * Math.ulp((float) truth));
            }
        }
        assertThat(VectorOps.exp(Float.NaN)).isNaN();
    }

    @Test
    void theInterpreterGivesTheBitsC2Gives() throws Exception {
        String compiled = null;
        for (int i = 0; i < 3000; i++) compiled = digest(); // long enough for C2 to compile exp in this JVM
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xint",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), ExpDeterminismTest.class.getName()));
        TestProcesses.Result r = TestProcesses.run(new ProcessBuilder(cmd), Duration.ofSeconds(300), "exp in the interpreter");
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(r.stdout()).isEqualTo(compiled);
    }
}
