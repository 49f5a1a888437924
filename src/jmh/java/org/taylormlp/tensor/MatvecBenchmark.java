package org.taylormlp.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Matrix-vector products per dtype and shape: the Vector API kernels on 1 and 2 threads, and the scalar
 * reference ({@code scalar}, single-threaded, ignores {@code threads}). Weights are Gaussian (σ = 0.02), encoded
 * like real checkpoints, in native memory. GB/s = weight bytes / time (4096×4096: F32 64 MiB, F16/BF16 32 MiB,
 * Q8_0 17 MiB, Q4_0 9 MiB; 288×768: 884 KiB … 124 KiB, cache resident).
 *
 * <p>Run: {@code mvn -q -Pjmh test-compile exec:exec -Djmh.args="MatvecBenchmark -f 1 -wi 3 -w 1 -i 5 -r 1"}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MatvecBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    public String dtype;

    /** rows x cols. */
    @Param({"4096x4096", "288x768"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    Tensor w;
    float[] x, out;
    VectorKernels kernels;

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
        DType t = DType.valueOf(dtype);
        Random rnd = new Random(42);
        byte[] bytes = TestTensors.encode(t, TestTensors.gaussian(rnd, rows * cols, 0.02));
        MemorySegment seg = Arena.ofShared().allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, 0, bytes.length);
        w = new Tensor("w", t, new long[] {rows, cols}, seg);
        x = TestTensors.gaussian(rnd, cols, 1.0);
        out = new float[rows];
        kernels = new VectorKernels(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.pool().close();
    }

    @Benchmark
    public float[] vector() {
        kernels.matvec(w, x, out);
        return out;
    }

    @Benchmark
    public float[] scalar() {
        ScalarKernels.INSTANCE.matvec(w, x, out);
        return out;
    }
}
