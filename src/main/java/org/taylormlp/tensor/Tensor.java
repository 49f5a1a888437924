package org.taylormlp.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A typed, read-only view of weights: usually a slice of a memory-mapped file.
 * Shapes are row-major, outermost first: a weight used as {@code out = W·x} has shape {@code [out, in]}
 * (GGUF stores the same tensor as {@code [in, out]}; readers reverse it).
 */
public final class Tensor {
    public static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final DType dtype;
    private final long[] shape;
    private final MemorySegment data;
    private final long size;

    public Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
        this.name = name;
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        this.size = n;
        long need = dtype.bytesFor(n);
        if (data.byteSize() != need) {
            throw new IllegalArgumentException(name + ": " + dtype + Arrays.toString(shape) + " needs " + need
                    + " bytes, segment has " + data.byteSize());
        }
        this.data = data;
    }

    /** A heap F32 tensor holding a copy of {@code values}. */
    public static Tensor ofFloats(String name, float[] values, long... shape) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 64);
        MemorySegment.copy(values, 0, seg, F32_LE, 0, values.length);
        return new Tensor(name, DType.F32, shape, seg);
    }

    public String name() { return name; }
    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long dim(int i) { return shape[i]; }
    public long size() { return size; }
    public long byteSize() { return data.byteSize(); }
    public MemorySegment data() { return data; }

    /** Rows of a matrix (shape[0]); for a vector, 1. */
    public int rows() { return shape.length < 2 ? 1 : Math.toIntExact(shape[0]); }

    /** Columns: the innermost dimension. */
    public int cols() { return Math.toIntExact(shape[shape.length - 1]); }

    public Tensor withName(String newName) { return new Tensor(newName, dtype, shape, data); }

    public Tensor reshape(long... newShape) { return new Tensor(name, dtype, newShape, data); }

    /** Element {@code i} (flat index) as float. Slow: for tests, loaders and setup, not hot loops. */
    public float get(long i) {
        return switch (dtype) {
            case F32 -> data.get(F32_LE, i * 4);
            case F16 -> Float.float16ToFloat(data.get(I16_LE, i * 2));
            case BF16 -> Float.intBitsToFloat((data.get(I16_LE, i * 2) & 0xffff) << 16);
            case Q8_0 -> {
                long b = (i / 32) * 34;
                float d = Float.float16ToFloat(data.get(I16_LE, b));
                yield d * data.get(ValueLayout.JAVA_BYTE, b + 2 + (i % 32));
            }
            case Q4_0 -> {
                long b = (i / 32) * 18;
                float d = Float.float16ToFloat(data.get(I16_LE, b));
                int j = (int) (i % 32);
                int q = data.get(ValueLayout.JAVA_BYTE, b + 2 + (j & 15)) & 0xff;
                q = j < 16 ? (q & 0x0f) : (q >>> 4);
                yield d * (q - 8);
            }
            default -> KBlocks.get(dtype, data, i);
        };
    }

    /** Dequantizes {@code n} elements starting at flat index {@code start} into {@code dst[off..]}. */
    public void read(long start, float[] dst, int off, int n) {
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32_LE, start * 4, dst, off, n);
            return;
        }
        if (!dtype.classic()) {
            KBlocks.read(dtype, data, start, dst, off, n);
            return;
        }
        for (int k = 0; k < n; k++) dst[off + k] = get(start + k);
    }

    /** Row {@code r} of a matrix, dequantized into {@code dst}. */
    public void readRow(int r, float[] dst) {
        int c = cols();
        read((long) r * c, dst, 0, c);
    }

    /** The whole tensor as floats (copies; use for small tensors such as norms and biases). */
    public float[] toFloats() {
        float[] out = new float[Math.toIntExact(size)];
        read(0, out, 0, out.length);
        return out;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
