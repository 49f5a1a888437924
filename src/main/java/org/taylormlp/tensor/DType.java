package org.taylormlp.tensor;

import java.util.Locale;

/**
 * Element types of weight tensors. Quantized types store blocks of {@link #blockSize()} elements in
 * {@link #blockBytes()} bytes (ggml layout: Q8_0 = f16 scale + 32 int8; Q4_0 = f16 scale + 16 bytes of nibbles,
 * low nibbles are elements 0..15, high nibbles 16..31, value = (q - 8) * scale).
 */
public enum DType {
    F32(1, 4, 0),
    F16(1, 2, 1),
    BF16(1, 2, 30),
    Q8_0(32, 34, 8),
    Q4_0(32, 18, 2);

    private final int blockSize;
    private final int blockBytes;
    private final int ggmlType;

    DType(int blockSize, int blockBytes, int ggmlType) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.ggmlType = ggmlType;
    }

    public int blockSize() { return blockSize; }
    public int blockBytes() { return blockBytes; }
    /** The ggml type id used in GGUF files. */
    public int ggmlType() { return ggmlType; }
    public boolean quantized() { return blockSize > 1; }

    /** Bytes needed for {@code elements} elements; throws ArithmeticException on overflow. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " elements, got " + elements);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    public static DType fromGgml(int id) {
        for (DType t : values()) if (t.ggmlType == id) return t;
        return null;
    }

    /** safetensors dtype string ("F32", "F16", "BF16"); quantized types have none. */
    public String safetensorsName() {
        return quantized() ? null : name();
    }

    public static DType parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown dtype '" + s + "' (known: f32, f16, bf16, q8_0, q4_0)");
        }
    }
}
