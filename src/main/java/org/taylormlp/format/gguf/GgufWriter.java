package org.taylormlp.format.gguf;

import org.taylormlp.format.AtomicFiles;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a GGUF version 3 file that llama.cpp can load.
 *
 * <p>Layout (GGUF spec): magic, version, tensor count, key/value count; the key/value pairs in insertion order;
 * the tensor infos (name, dimension count, dimensions fastest-varying first, ggml type, offset relative to the
 * data section); zero padding to the alignment; then each tensor's bytes, each padded to the alignment, so
 * that offsets are exactly the running sum of padded sizes (which llama.cpp checks).
 *
 * <p>Types matter to llama.cpp: hyper-parameters such as {@code llama.block_count} must be UINT32, epsilons and
 * RoPE bases FLOAT32, {@code tokenizer.ggml.tokens} an ARRAY of STRING, {@code tokenizer.ggml.scores} ARRAY of
 * FLOAT32, {@code tokenizer.ggml.token_type} ARRAY of INT32. Use the typed {@code putXxx} methods (or
 * {@link #put(String, GgufType, Object)}); {@link #put(String, Object)} infers a type from the Java class, which
 * is right for strings, booleans and floats but gives INT32/INT64 for {@code Integer}/{@code Long}.
 *
 * <p>Tensors are written in their own dtype, from their {@link java.lang.foreign.MemorySegment}s, streamed to
 * disk (memory-mapped inputs are never copied onto the heap). Row-major shape {@code [a, b]} is stored as GGUF
 * dimensions {@code [b, a]}; a rank-0 tensor is stored as {@code [1]}.
 *
 * <p>Putting a key that exists replaces its value and type, keeping its position. Not thread-safe.
 */
public final class GgufWriter {
    /** llama.cpp's GGML_MAX_NAME: a tensor name must be shorter than this many UTF-8 bytes. */
    public static final int MAX_TENSOR_NAME_BYTES = 64;

    private record Kv(GgufType type, Object value) {}

    private final LinkedHashMap<String, Kv> kvs = new LinkedHashMap<>();
    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();

    // ------------------------------------------------------------------------------------------------ metadata

    /**
     * Puts {@code value} with an explicit type. Numbers are range-checked for integer types; ARRAY values must be
     * {@link GgufArray}s (see {@link GgufArray#of}).
     */
    public GgufWriter put(String key, GgufType type, Object value) {
        Objects.requireNonNull(type, "type");
        checkKey(key);
        Object v;
        try {
            v = GgufArray.normalize(type, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata key '" + key + "': " + e.getMessage(), e);
        }
        if (key.equals(GgufFile.ALIGNMENT_KEY)) checkAlignment(type, v);
        kvs.put(key, new Kv(type, v));
        return this;
    }

    /**
     * Puts {@code value} with a type inferred from its class: Boolean → BOOL, String → STRING, Float → FLOAT32,
     * Double → FLOAT64, Byte → INT8, Short → INT16, Integer → INT32, Long → INT64, {@link GgufArray} → ARRAY,
     * {@code String[]}, {@code float[]}, {@code int[]}, {@code long[]}, {@code double[]}, {@code boolean[]} → ARRAY
     * of the corresponding type, and a non-empty {@code List} → ARRAY with the element type inferred from its
     * first element. Use the typed methods for unsigned types.
     */
    public GgufWriter put(String key, Object value) {
        return switch (value) {
            case null -> throw new IllegalArgumentException("metadata key '" + key + "': null value");
            case Boolean b -> put(key, GgufType.BOOL, b);
            case String s -> put(key, GgufType.STRING, s);
            case Float f -> put(key, GgufType.FLOAT32, f);
            case Double d -> put(key, GgufType.FLOAT64, d);
            case Byte b -> put(key, GgufType.INT8, b);
            case Short s -> put(key, GgufType.INT16, s);
            case Integer i -> put(key, GgufType.INT32, i);
            case Long l -> put(key, GgufType.INT64, l);
            case GgufArray a -> put(key, GgufType.ARRAY, a);
            case String[] a -> putArray(key, GgufType.STRING, Arrays.asList(a));
            case float[] a -> put(key, GgufType.ARRAY, GgufArray.ofFloat32(a));
            case int[] a -> put(key, GgufType.ARRAY, GgufArray.ofInt32(a));
            case long[] a -> putArray(key, GgufType.INT64, Arrays.stream(a).boxed().toList());
            case double[] a -> putArray(key, GgufType.FLOAT64, Arrays.stream(a).boxed().toList());
            case boolean[] a -> {
                Boolean[] boxed = new Boolean[a.length];
                for (int i = 0; i < a.length; i++) boxed[i] = a[i];
                yield putArray(key, GgufType.BOOL, Arrays.asList(boxed));
            }
            case List<?> l -> {
                if (l.isEmpty()) {
                    throw new IllegalArgumentException("metadata key '" + key
                            + "': cannot infer the element type of an empty list; use putArray");
                }
                yield putArray(key, inferScalarType(key, l.getFirst()), l);
            }
            default -> throw new IllegalArgumentException("metadata key '" + key + "': cannot store a "
                    + value.getClass().getName());
        };
    }

    private static GgufType inferScalarType(String key, Object v) {
        return switch (v) {
            case Boolean b -> GgufType.BOOL;
            case String s -> GgufType.STRING;
            case Float f -> GgufType.FLOAT32;
            case Double d -> GgufType.FLOAT64;
            case Byte b -> GgufType.INT8;
            case Short s -> GgufType.INT16;
            case Integer i -> GgufType.INT32;
            case Long l -> GgufType.INT64;
            case GgufArray a -> GgufType.ARRAY;
            case null, default -> throw new IllegalArgumentException("metadata key '" + key
                    + "': cannot infer a GGUF type for list element " + v);
        };
    }

    public GgufWriter putUInt8(String key, int value) { return put(key, GgufType.UINT8, value); }
    public GgufWriter putInt8(String key, int value) { return put(key, GgufType.INT8, value); }
    public GgufWriter putUInt16(String key, int value) { return put(key, GgufType.UINT16, value); }
    public GgufWriter putInt16(String key, int value) { return put(key, GgufType.INT16, value); }
    /** A UINT32 value in [0, 2^32); the type llama.cpp expects for hyper-parameters. */
    public GgufWriter putUInt32(String key, long value) { return put(key, GgufType.UINT32, value); }
    public GgufWriter putInt32(String key, int value) { return put(key, GgufType.INT32, value); }
    /** A UINT64 value; negative longs stand for values ≥ 2^63 (two's complement bits). */
    public GgufWriter putUInt64(String key, long value) { return put(key, GgufType.UINT64, value); }
    public GgufWriter putInt64(String key, long value) { return put(key, GgufType.INT64, value); }
    public GgufWriter putFloat32(String key, float value) { return put(key, GgufType.FLOAT32, value); }
    public GgufWriter putFloat64(String key, double value) { return put(key, GgufType.FLOAT64, value); }
    public GgufWriter putBool(String key, boolean value) { return put(key, GgufType.BOOL, value); }
    public GgufWriter putString(String key, String value) { return put(key, GgufType.STRING, value); }

    /** An ARRAY of {@code elementType}; for nested arrays pass {@code ARRAY} and {@link GgufArray} elements. */
    public GgufWriter putArray(String key, GgufType elementType, List<?> values) {
        GgufArray a;
        try {
            a = GgufArray.of(elementType, values);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata key '" + key + "': " + e.getMessage(), e);
        }
        return put(key, GgufType.ARRAY, a);
    }

    public GgufWriter putStringArray(String key, List<String> values) { return putArray(key, GgufType.STRING, values); }
    public GgufWriter putStringArray(String key, String[] values) { return putStringArray(key, Arrays.asList(values)); }
    public GgufWriter putFloat32Array(String key, float[] values) { return put(key, GgufType.ARRAY, GgufArray.ofFloat32(values)); }
    public GgufWriter putInt32Array(String key, int[] values) { return put(key, GgufType.ARRAY, GgufArray.ofInt32(values)); }

    /** Sets {@code general.alignment} (a power of two; the default, when unset, is 32). */
    public GgufWriter setAlignment(long alignment) { return putUInt32(GgufFile.ALIGNMENT_KEY, alignment); }

    /** Copies all metadata of {@code src}, with its original types, in its order. */
    public GgufWriter putAll(GgufFile src) {
        for (Map.Entry<String, Object> e : src.metadata().entrySet()) put(e.getKey(), src.type(e.getKey()), e.getValue());
        return this;
    }

    /** Removes {@code key} if present. */
    public GgufWriter remove(String key) {
        kvs.remove(key);
        return this;
    }

    /** The alignment the file will use. */
    public long alignment() {
        Kv kv = kvs.get(GgufFile.ALIGNMENT_KEY);
        return kv == null ? GgufFile.DEFAULT_ALIGNMENT : (Long) kv.value();
    }

    private static void checkKey(String key) {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("empty metadata key");
    }

    private static void checkAlignment(GgufType type, Object v) {
        if (type != GgufType.UINT32) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " must be UINT32, not " + type);
        }
        long a = (Long) v;
        if (a == 0 || Long.bitCount(a) != 1 || a > GgufFile.MAX_ALIGNMENT) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " = " + a
                    + " must be a power of two between 1 and " + GgufFile.MAX_ALIGNMENT);
        }
    }

    // ------------------------------------------------------------------------------------------------ tensors

    /** Adds {@code t} under its own name. */
    public GgufWriter addTensor(Tensor t) { return addTensor(t.name(), t); }

    /**
     * Adds {@code t} under {@code name}, written in its own dtype. Names must be unique and shorter than
     * {@value #MAX_TENSOR_NAME_BYTES} UTF-8 bytes; rank at most 4; quantized tensors need rows (last
     * dimension) that are whole blocks.
     */
    public GgufWriter addTensor(String name, Tensor t) {
        Objects.requireNonNull(t, "tensor");
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("empty tensor name");
        if (name.getBytes(StandardCharsets.UTF_8).length >= MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is too long for llama.cpp (max "
                    + (MAX_TENSOR_NAME_BYTES - 1) + " bytes)");
        }
        if (tensors.containsKey(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        if (t.rank() > GgufFile.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has rank " + t.rank() + " > " + GgufFile.MAX_DIMS);
        }
        DType dt = t.dtype();
        if (dt.quantized() && (t.rank() == 0 || t.dim(t.rank() - 1) % dt.blockSize() != 0)) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + dt + " needs rows that are a multiple of "
                    + dt.blockSize() + " elements, shape is " + Arrays.toString(t.shape()));
        }
        tensors.put(name, t);
        return this;
    }

    // ------------------------------------------------------------------------------------------------ output

    /**
     * Writes the file to {@code path + ".tmp"} and renames it to {@code path}; on failure nothing is left
     * behind and an existing {@code path} is untouched.
     */
    public void write(Path path) throws IOException {
        long align = alignment();
        byte[] header = header(align);
        AtomicFiles.write(path, ch -> {
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
            AtomicFiles.writeZeros(ch, pad(header.length, align));
            for (Tensor t : tensors.values()) {
                AtomicFiles.writeSegment(ch, t.data());
                AtomicFiles.writeZeros(ch, pad(t.byteSize(), align));
            }
        });
    }

    private static long pad(long n, long align) {
        return (align - n % align) % align;
    }

    private byte[] header(long align) {
        LeBuffer b = new LeBuffer();
        b.u32(GgufFile.MAGIC);
        b.u32(3);
        b.u64(tensors.size());
        b.u64(kvs.size());
        for (Map.Entry<String, Kv> e : kvs.entrySet()) {
            b.string(e.getKey());
            b.u32(e.getValue().type().id());
            writeValue(b, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            b.string(e.getKey());
            int rank = Math.max(1, t.rank());
            b.u32(rank);
            for (int d = 0; d < rank; d++) b.u64(t.rank() == 0 ? 1 : t.dim(t.rank() - 1 - d));
            b.u32(t.dtype().ggmlType());
            b.u64(offset);
            offset = Math.addExact(offset, Math.addExact(t.byteSize(), pad(t.byteSize(), align)));
        }
        return b.toByteArray();
    }

    private static void writeValue(LeBuffer b, GgufType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> b.u8((int) (long) (Long) v);
            case UINT16, INT16 -> b.u16((int) (long) (Long) v);
            case UINT32, INT32 -> b.u32((int) (long) (Long) v);
            case UINT64, INT64 -> b.u64((Long) v);
            case FLOAT32 -> b.u32(Float.floatToRawIntBits((float) (double) (Double) v));
            case FLOAT64 -> b.u64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> b.u8((Boolean) v ? 1 : 0);
            case STRING -> b.string((String) v);
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                b.u32(a.elementType().id());
                b.u64(a.size());
                for (Object e : a) writeValue(b, a.elementType(), e);
            }
        }
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class LeBuffer {
        private byte[] buf = new byte[4096];
        private int len;

        private void ensure(int n) {
            if (buf.length - len < n) {
                long cap = Math.max((long) buf.length * 2, (long) len + n);
                if (cap > Integer.MAX_VALUE - 16) throw new IllegalStateException("GGUF header larger than 2 GiB");
                buf = Arrays.copyOf(buf, (int) cap);
            }
        }

        void u8(int v) {
            ensure(1);
            buf[len++] = (byte) v;
        }

        void u16(int v) {
            ensure(2);
            buf[len++] = (byte) v;
            buf[len++] = (byte) (v >>> 8);
        }

        void u32(int v) {
            ensure(4);
            for (int i = 0; i < 4; i++) buf[len++] = (byte) (v >>> (8 * i));
        }

        void u64(long v) {
            ensure(8);
            for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> (8 * i));
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        byte[] toByteArray() { return Arrays.copyOf(buf, len); }
    }
}
