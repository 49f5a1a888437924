package org.taylormlp.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/** Test helpers: encode floats into each dtype's byte layout and place the bytes in various kinds of segment. */
final class TestTensors {
    private TestTensors() {}

    /** Where a tensor's bytes live. */
    enum Storage { NATIVE, HEAP_BYTES, MAPPED }

    /** Encodes {@code values} (row-major) as {@code t}; quantized types use the ggml reference quantizers. */
    static byte[] encode(DType t, float[] values) {
        int n = values.length;
        ByteBuffer bb = ByteBuffer.allocate(Math.toIntExact(t.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        switch (t) {
            case F32 -> { for (float v : values) bb.putFloat(v); }
            case F16 -> { for (float v : values) bb.putShort(Float.floatToFloat16(v)); }
            case BF16 -> { for (float v : values) bb.putShort(toBf16(v)); }
            case Q8_0 -> {
                for (int b = 0; b < n; b += 32) {
                    float amax = 0f;
                    for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b + j]));
                    float d = amax / 127f;
                    float id = d != 0f ? 1f / d : 0f;
                    bb.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 32; j++) bb.put((byte) Math.round(values[b + j] * id));
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n; b += 32) {
                    float amax = 0f, max = 0f;
                    for (int j = 0; j < 32; j++) {
                        float v = values[b + j];
                        if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
                    }
                    float d = max / -8f;
                    float id = d != 0f ? 1f / d : 0f;
                    bb.putShort(Float.floatToFloat16(d));
                    for (int j = 0; j < 16; j++) {
                        int q0 = Math.min(15, (int) (values[b + j] * id + 8.5f));
                        int q1 = Math.min(15, (int) (values[b + 16 + j] * id + 8.5f));
                        bb.put((byte) (q0 | (q1 << 4)));
                    }
                }
            }
            default -> bb.put(Quantize.quantize(Tensor.ofFloats("w", values, n), t).data().toArray(ValueLayout.JAVA_BYTE));
        }
        return bb.array();
    }

    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /**
     * Raw bytes of a rows×cols tensor whose dequantized values are small integers, so that dot products with
     * integer activations are exact in float whatever the summation order.
     */
    static byte[] integerValued(DType t, int rows, int cols, Random rnd) {
        long n = (long) rows * cols;
        if (!t.quantized()) {
            float[] v = new float[(int) n];
            for (int i = 0; i < n; i++) v[i] = rnd.nextInt(129) - 64;
            return encode(t, v);
        }
        ByteBuffer bb = ByteBuffer.allocate(Math.toIntExact(t.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        if (!t.classic()) {
            // random quants and scales; the f16 factors (d, and m/dmin where the type has one) 1 or 2
            byte[] all = bb.array();
            rnd.nextBytes(all);
            int[] halfs = switch (t) {
                case Q5_0 -> new int[] {0};
                case Q6_K -> new int[] {208};
                default -> new int[] {0, 2};
            };
            for (int b = 0; b < all.length; b += t.blockBytes()) {
                for (int h : halfs) bb.putShort(b + h, Float.floatToFloat16(rnd.nextBoolean() ? 1f : 2f));
            }
            return all;
        }
        for (long b = 0; b < n; b += 32) {
            float d = rnd.nextBoolean() ? 1f : 2f;
            bb.putShort(Float.floatToFloat16(d));
            int qbytes = t == DType.Q8_0 ? 32 : 16;
            for (int j = 0; j < qbytes; j++) bb.put((byte) rnd.nextInt(256));
        }
        return bb.array();
    }

    /** Copies bytes into a segment of the given kind, starting {@code misalign} bytes past an aligned address. */
    static MemorySegment place(byte[] bytes, Storage storage, int misalign, Path dir) {
        switch (storage) {
            case NATIVE -> {
                MemorySegment s = Arena.ofAuto().allocate(bytes.length + misalign + 1L, 64).asSlice(misalign, bytes.length);
                MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
                return s;
            }
            case HEAP_BYTES -> {
                byte[] a = new byte[bytes.length + misalign];
                System.arraycopy(bytes, 0, a, misalign, bytes.length);
                return MemorySegment.ofArray(a).asSlice(misalign, bytes.length);
            }
            case MAPPED -> {
                try {
                    Path f = Files.createTempFile(dir, "tensor", ".bin");
                    byte[] a = new byte[bytes.length + misalign];
                    System.arraycopy(bytes, 0, a, misalign, bytes.length);
                    Files.write(f, a);
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                        return ch.map(FileChannel.MapMode.READ_ONLY, misalign, bytes.length, Arena.ofAuto());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new AssertionError(storage);
    }

    static Tensor tensor(DType t, int rows, int cols, byte[] bytes, Storage storage, int misalign, Path dir) {
        return new Tensor("w", t, new long[] {rows, cols}, place(bytes, storage, misalign, dir));
    }

    static float[] gaussian(Random rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    /**
     * For the weight types whose products round the activations ({@link ActivationRounding}): sets the first element of
     * every block of x[off, off + cols) to 127, so that with integers of magnitude ≤ 127 each block's scale is 1 and
     * the rounding keeps every value (integer-valued products stay exact). Other types: x unchanged.
     */
    static void keepIntegersThroughRounding(DType t, float[] x, int off, int cols) {
        if (!ActivationRounding.appliesTo(t)) return;
        for (int b = 0; b < cols; b += ActivationRounding.BLOCK) x[off + b] = 127f;
    }

    static float[] integers(Random rnd, int n, int bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(2 * bound + 1) - bound;
        return v;
    }

    /**
     * {Σ W[row, c]·x[xOff + c], Σ|W[row, c]·x[xOff + c]|} in double (exact for test sizes) from the dequantized weights
     * (Tensor.get, the layout oracle). For the weight types whose products take rounded activations (every quantized type), x is
     * first rounded as {@link ActivationRounding#round} does: the value the {@link Kernels} contract defines.
     */
    static double[] truth(Tensor w, float[] x, int xOff, int row) {
        int cols = w.cols();
        if (ActivationRounding.appliesTo(w.dtype())) {
            float[] xr = new float[cols];
            ActivationRounding.round(x, xOff, cols, xr, 0);
            x = xr;
            xOff = 0;
        }
        double s = 0, a = 0;
        for (int c = 0; c < cols; c++) {
            double p = (double) w.get((long) row * cols + c) * x[xOff + c];
            s += p;
            a += Math.abs(p);
        }
        return new double[] {s, a};
    }

    /** Unit roundoff of float. */
    static final double U = 0x1p-24;

    /**
     * Error bound for a float sum of n products whose additions are chained at most {@code depth} deep:
     * |computed − exact| ≤ γ(depth + 2)·Σ|w·x| with γ(k) = k·u/(1 − k·u) (the +2 covers the product rounding and
     * a per-block scale multiplication). Inputs dequantize exactly to floats, so this is the whole error.
     */
    static double bound(int depth, double sumAbs) {
        double k = depth + 2;
        return k * U / (1 - k * U) * sumAbs + Float.MIN_NORMAL;
    }

    /**
     * Longest addition chain of the vector kernels for n terms: every lane accumulator gets at most ⌈n/L⌉
     * terms (fewer with several accumulators), then log2(L)+2 additions combine the lanes and accumulators, then
     * a scalar tail of fewer than L terms. Bounded by n/4 + 40 for every width (L ≥ 4).
     */
    static int vectorDepth(int n) {
        return n / 4 + 40;
    }
}
