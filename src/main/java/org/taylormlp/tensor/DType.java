package org.taylormlp.tensor;

import java.util.Locale;

/**
 * Element types of weight tensors. Quantized types store blocks of {@link #blockSize()} elements in
 * {@link #blockBytes()} bytes (ggml layout: Q8_0 = f16 scale + 32 int8; Q4_0 = f16 scale + 16 bytes of nibbles,
 * low nibbles are elements 0..15, high nibbles 16..31, value = (q - 8) * scale; the other legacy 32-blocks and
 * the K-quants as in ggml-common.h, dequantized by {@link KBlocks}).
 */
public enum DType {
    F32(1, 4, 0),
    F16(1, 2, 1),
    BF16(1, 2, 30),
    Q8_0(32, 34, 8),
    Q4_0(32, 18, 2),
    /** f16 d, f16 m, 16 bytes of nibbles (as Q4_0): value = q * d + m. */
    Q4_1(32, 20, 3),
    /** f16 d, 4 bytes of fifth bits, 16 bytes of nibbles: value = (q - 16) * d. */
    Q5_0(32, 22, 6),
    /** f16 d, f16 m, 4 bytes of fifth bits, 16 bytes of nibbles: value = q * d + m. */
    Q5_1(32, 24, 7),
    /** Super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles ({@link KBlocks}). */
    Q4_K(256, 144, 12),
    /** Super-blocks of 256: as Q4_K plus 32 bytes of fifth bits ({@link KBlocks}). */
    Q5_K(256, 176, 13),
    /** Super-blocks of 256: 128 bytes of low nibbles, 64 of high 2 bits, 16 int8 scales, f16 d ({@link KBlocks}). */
    Q6_K(256, 210, 14);

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
    /** Whether the {@link VectorKernels} have dedicated kernels (F32, F16, BF16, Q8_0, Q4_0); the others go through {@link KQuants}. */
    boolean classic() { return ordinal() <= Q4_0.ordinal(); }

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
            throw new IllegalArgumentException("unknown dtype '" + s + "' (known: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k)");
        }
    }
}
