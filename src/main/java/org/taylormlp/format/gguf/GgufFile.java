package org.taylormlp.format.gguf;

import org.taylormlp.format.FileMapping;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A memory-mapped GGUF file (versions 2 and 3), parsed and validated on {@link #open}.
 *
 * <p><b>Metadata values</b> ({@link #metadata()}, in file order): every integer type as {@link Long} (UINT64
 * values above {@code Long.MAX_VALUE} appear as their two's-complement bits), FLOAT32/FLOAT64 as {@link Double},
 * BOOL as {@link Boolean}, STRING as {@link String} (UTF-8 decoded; malformed sequences replaced), ARRAY as a
 * {@link GgufArray} ({@code List<Object>} of the same, possibly nested). {@link #type} tells the original type.
 *
 * <p><b>Tensors</b> are slices of the mapping in the project's row-major convention: GGUF dimensions are stored
 * fastest-varying first, so they are reversed ({@code [n_in, n_out]} in the file becomes shape
 * {@code [n_out, n_in]}). Supported ggml types: F32, F16, BF16, Q8_0, Q4_0. The tensors stay valid until
 * {@link #close()}; accessing them afterwards throws {@link IllegalStateException}. The mapping uses a shared
 * arena, so tensors may be read from any thread.
 *
 * <p><b>Validation</b>: every malformed, truncated or hostile file is rejected with a {@link ModelFormatException}
 * naming the file and the problem, before any allocation proportional to a count read from the file: counts
 * and lengths are first bounded by the bytes left in the file; strings are capped at {@value #MAX_STRING_BYTES}
 * bytes, arrays nest at most {@value #MAX_ARRAY_DEPTH} deep and all arrays together hold at most
 * {@value #MAX_METADATA_ELEMENTS} elements; keys and tensor names must be unique; {@code general.alignment}
 * must be a UINT32 power of two ≤ {@value #MAX_ALIGNMENT}; tensors need 1 to {@value #MAX_DIMS} dimensions
 * whose product (times the type size) does not overflow, rows that are whole blocks for quantized types, and
 * aligned, non-overlapping data inside the file. Bytes after the last tensor (and its padding) are not an error
 * here, as in llama.cpp; {@link #trailingBytes()} counts them.
 */
public final class GgufFile implements AutoCloseable, FileMapping {
    /** "GGUF" read as a little-endian uint32. */
    public static final int MAGIC = 0x46554747;
    public static final long DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = GgufKeys.ALIGNMENT;

    static final int MAX_DIMS = 4;
    static final long MAX_STRING_BYTES = 256L << 20;
    static final int MAX_ARRAY_DEPTH = 8;
    static final long MAX_METADATA_ELEMENTS = 1L << 24;
    static final long MAX_ALIGNMENT = 1L << 30;

    /** Smallest encodings, used to bound counts: a key/value is at least an empty key, a type and one byte. */
    private static final long MIN_KV_BYTES = 8 + 4 + 1;
    /** A tensor info is at least an empty name, n_dims, one dimension, the type and the offset. */
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment map;
    private final AtomicBoolean closed = new AtomicBoolean();

    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufType> types;
    private final long alignment;
    private final long dataOffset;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> tensorsByName;
    private final long dataEnd;

    private GgufFile(Path path, Arena arena, MemorySegment map) {
        this.path = path;
        this.arena = arena;
        this.map = map;
        Cursor c = new Cursor(path, map);

        if (map.byteSize() < 4) throw c.error("file too short for a GGUF header (" + map.byteSize() + " bytes)");
        int magic = c.u32("magic");
        if (magic != MAGIC) {
            throw c.error(String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        long v = c.u32("version") & 0xffff_ffffL;
        if (v == 1) {
            throw c.error("GGUF version 1 is not supported (only versions 2 and 3); convert the model again with a"
                    + " current llama.cpp");
        }
        if (v == 0x0200_0000L || v == 0x0300_0000L) {
            throw c.error("big-endian GGUF files are not supported");
        }
        if (v != 2 && v != 3) throw c.error("unsupported GGUF version " + v + " (supported: 2 and 3)");
        this.version = (int) v;

        long nTensors = c.u64("tensor count");
        long nKv = c.u64("metadata key/value count");
        c.checkCount(nKv, MIN_KV_BYTES, "metadata key/value count");
        c.checkCount(nTensors, MIN_TENSOR_INFO_BYTES, "tensor count");

        // --- metadata
        LinkedHashMap<String, Object> md = new LinkedHashMap<>();
        HashMap<String, GgufType> tps = new HashMap<>();
        long[] budget = {MAX_METADATA_ELEMENTS};
        for (long i = 0; i < nKv; i++) {
            String key = c.string("key of metadata entry #" + i);
            if (md.containsKey(key)) throw c.error("duplicate metadata key '" + key + "'");
            GgufType type = c.type("value type of metadata key '" + key + "'");
            md.put(key, readValue(c, type, key, "value of '" + key + "'", 0, budget));
            tps.put(key, type);
        }
        this.metadata = Collections.unmodifiableMap(md);
        this.types = tps;

        // --- alignment
        if (md.containsKey(ALIGNMENT_KEY)) {
            if (tps.get(ALIGNMENT_KEY) != GgufType.UINT32) {
                throw c.error(ALIGNMENT_KEY + " has type " + tps.get(ALIGNMENT_KEY) + ", expected UINT32");
            }
            long a = (Long) md.get(ALIGNMENT_KEY);
            if (a == 0 || Long.bitCount(a) != 1 || a > MAX_ALIGNMENT) {
                throw c.error(ALIGNMENT_KEY + " = " + a + " is not a power of two between 1 and " + MAX_ALIGNMENT);
            }
            this.alignment = a;
        } else {
            this.alignment = DEFAULT_ALIGNMENT;
        }

        // --- tensor infos
        int initialCapacity = (int) Math.min(nTensors, 1 << 16); // nTensors itself is bounded by the file size
        List<Info> infos = new ArrayList<>(initialCapacity);
        HashMap<String, Info> seen = HashMap.newHashMap(initialCapacity);
        for (long i = 0; i < nTensors; i++) {
            String name = c.string("name of tensor #" + i);
            if (seen.containsKey(name)) throw c.error("duplicate tensor name '" + name + "'");
            long nDims = c.u32("dimension count of tensor '" + name + "'") & 0xffff_ffffL;
            if (nDims == 0 || nDims > MAX_DIMS) {
                throw c.error("tensor '" + name + "' has " + nDims + " dimensions (supported: 1 to " + MAX_DIMS + ")");
            }
            long[] ne = new long[(int) nDims];
            for (int d = 0; d < nDims; d++) {
                ne[d] = c.u64("dimension " + d + " of tensor '" + name + "'");
                if (ne[d] < 0) {
                    throw c.error("tensor '" + name + "' dimension " + d + " = " + Long.toUnsignedString(ne[d])
                            + " is too large");
                }
            }
            long typeId = c.u32("ggml type of tensor '" + name + "'") & 0xffff_ffffL;
            long offset = c.u64("data offset of tensor '" + name + "'");
            Info info = new Info(name, ne, typeId, offset);
            infos.add(info);
            seen.put(name, info);
        }

        long headerEnd = c.pos;
        // alignment ≤ 2^30 and headerEnd ≤ file size < 2^62 in practice: the sum cannot overflow
        this.dataOffset = alignUp(headerEnd, alignment);
        long fileSize = map.byteSize();
        if (!infos.isEmpty() && dataOffset > fileSize) {
            throw c.error("truncated: tensor data should start at offset " + dataOffset + " but the file has only "
                    + fileSize + " bytes");
        }
        long dataSize = Math.max(0, fileSize - dataOffset);

        // --- tensors: types, sizes, bounds, alignment, overlap
        for (Info info : infos) {
            DType dt = DType.fromGgml((int) Math.min(info.typeId, Integer.MAX_VALUE));
            if (dt == null) {
                throw c.error("tensor '" + info.name + "' has ggml type " + info.typeId + " (" + ggmlTypeName(info.typeId)
                        + "), which is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
            }
            long n = 1;
            try {
                for (long d : info.ne) n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw c.error("tensor '" + info.name + "' dimensions " + Arrays.toString(info.ne)
                        + " overflow: the element count is not representable");
            }
            if (info.ne[0] % dt.blockSize() != 0) {
                throw c.error("tensor '" + info.name + "' of type " + dt + " has rows of " + info.ne[0]
                        + " elements, not a multiple of the block size " + dt.blockSize());
            }
            try {
                info.nbytes = dt.bytesFor(n);
            } catch (ArithmeticException e) {
                throw c.error("tensor '" + info.name + "' size overflows: " + n + " elements of " + dt);
            }
            info.dtype = dt;
            if (info.offset < 0 || info.offset > dataSize) {
                throw c.error("tensor '" + info.name + "' data offset " + Long.toUnsignedString(info.offset)
                        + " is past the end of the file (data section holds " + dataSize + " bytes)");
            }
            if (info.offset % alignment != 0) {
                throw c.error("tensor '" + info.name + "' data offset " + info.offset + " is not a multiple of the"
                        + " alignment " + alignment);
            }
            if (info.nbytes > dataSize - info.offset) {
                throw c.error("truncated: tensor '" + info.name + "' data [" + info.offset + ", "
                        + (info.offset + info.nbytes) + ") extends past the end of the data section (" + dataSize
                        + " bytes)");
            }
        }
        List<Info> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong((Info i) -> i.offset).thenComparingLong(i -> i.nbytes));
        for (int i = 1; i < byOffset.size(); i++) {
            Info a = byOffset.get(i - 1), b = byOffset.get(i);
            if (a.offset + a.nbytes > b.offset) {
                throw c.error("tensors '" + a.name + "' [" + a.offset + ", " + (a.offset + a.nbytes) + ") and '"
                        + b.name + "' [" + b.offset + ", " + (b.offset + b.nbytes) + ") overlap");
            }
        }

        long lastEnd = 0;
        for (Info info : infos) lastEnd = Math.max(lastEnd, info.offset + info.nbytes);
        // writers (llama.cpp, gguf-py, ours) pad every tensor, the last one included, to the alignment
        this.dataEnd = infos.isEmpty() ? Math.min(fileSize, dataOffset) : Math.min(fileSize, dataOffset + alignUp(lastEnd, alignment));

        List<Tensor> ts = new ArrayList<>(infos.size());
        LinkedHashMap<String, Tensor> byName = LinkedHashMap.newLinkedHashMap(infos.size());
        for (Info info : infos) {
            long[] shape = new long[info.ne.length];
            for (int d = 0; d < shape.length; d++) shape[d] = info.ne[shape.length - 1 - d];
            Tensor t = new Tensor(info.name, info.dtype, shape, map.asSlice(dataOffset + info.offset, info.nbytes));
            ts.add(t);
            byName.put(info.name, t);
        }
        this.tensors = Collections.unmodifiableList(ts);
        this.tensorsByName = byName;
    }

    /**
     * Maps and parses {@code path}.
     *
     * @throws ModelFormatException if the file is not a valid, supported GGUF file
     * @throws IOException          if it cannot be opened or mapped
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path, arena, seg);
        } catch (Throwable t) {
            arena.close();
            throw t;
        }
    }

    /**
     * Reads one value of {@code type}; {@code what} describes it for error messages (computed once per key or
     * array, not per element, so that 150k-entry vocabularies parse quickly).
     */
    private static Object readValue(Cursor c, GgufType type, String key, String what, int depth, long[] budget) {
        return switch (type) {
            case UINT8 -> (long) (c.u8(what) & 0xff);
            case INT8 -> (long) c.u8(what);
            case UINT16 -> (long) (c.u16(what) & 0xffff);
            case INT16 -> (long) c.u16(what);
            case UINT32 -> c.u32(what) & 0xffff_ffffL;
            case INT32 -> (long) c.u32(what);
            case UINT64, INT64 -> c.u64(what);
            case FLOAT32 -> (double) Float.intBitsToFloat(c.u32(what));
            case FLOAT64 -> Double.longBitsToDouble(c.u64(what));
            case BOOL -> {
                byte b = c.u8(what);
                if (b != 0 && b != 1) throw c.error("metadata key '" + key + "' has invalid BOOL value " + b);
                yield b == 1;
            }
            case STRING -> c.string(what);
            case ARRAY -> {
                if (depth >= MAX_ARRAY_DEPTH) {
                    throw c.error("metadata key '" + key + "' nests arrays deeper than " + MAX_ARRAY_DEPTH);
                }
                GgufType et = c.type("array element type of '" + key + "'");
                long n = c.u64("array length of '" + key + "'");
                c.checkCount(n, et.minEncodedSize(), "array length of '" + key + "' (" + et + ")");
                if (n > budget[0]) {
                    throw c.error("metadata key '" + key + "': array of " + n + " elements exceeds the limit of "
                            + MAX_METADATA_ELEMENTS + " array elements in all metadata");
                }
                budget[0] -= n;
                String elemWhat = "an element of array '" + key + "'";
                Object[] vals = new Object[(int) n];
                for (int i = 0; i < vals.length; i++) vals[i] = readValue(c, et, key, elemWhat, depth + 1, budget);
                yield GgufArray.trusted(et, vals);
            }
        };
    }

    private static long alignUp(long x, long a) {
        return (x + a - 1) / a * a;
    }

    // ------------------------------------------------------------------------------------------------ accessors

    @Override
    public Path path() { return path; }

    @Override
    public MemorySegment mapping() { return map; }
    public int version() { return version; }
    /** Tensor data alignment in bytes ({@code general.alignment}, default 32). */
    public long alignment() { return alignment; }
    /** Absolute file offset where the tensor data section starts. */
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return map.byteSize(); }

    /**
     * Absolute file offset where the file should end: after the last tensor's data and its padding to the alignment
     * (after the header and its padding when there are no tensors), or the file size if the file ends earlier.
     */
    public long dataEnd() { return dataEnd; }

    /**
     * Bytes after {@link #dataEnd()}: data appended to the file or left by a damaged writer. No tensor refers to
     * them, so loading ignores them ({@code ModelLoader} prints a one-line notice) and {@code taylormlp verify}
     * reports them as a problem.
     */
    public long trailingBytes() { return map.byteSize() - dataEnd; }

    /** All metadata in file order (unmodifiable). */
    public Map<String, Object> metadata() { return metadata; }

    public boolean has(String key) { return metadata.containsKey(key); }

    /** The raw value of {@code key} (see the class comment for the convention), or null if absent. */
    public Object get(String key) { return metadata.get(key); }

    /** The GGUF type {@code key} was stored with, or null if absent. */
    public GgufType type(String key) { return types.get(key); }

    /** The element type of array {@code key}, or null if absent or not an array. */
    public GgufType arrayElementType(String key) {
        return metadata.get(key) instanceof GgufArray a ? a.elementType() : null;
    }

    /** The string value of {@code key}, or null if absent; a non-string value is an error. */
    public String getString(String key) {
        Object v = metadata.get(key);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw wrongType(key, "a string");
    }

    /** The integer value of {@code key}, or {@code dflt} if absent; a non-integer value is an error. */
    public long getLong(String key, long dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Long l) return l;
        throw wrongType(key, "an integer");
    }

    /** The numeric (float or integer) value of {@code key}, or {@code dflt} if absent. */
    public double getDouble(String key, double dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw wrongType(key, "a number");
    }

    /** The boolean value of {@code key}, or {@code dflt} if absent. */
    public boolean getBool(String key, boolean dflt) {
        Object v = metadata.get(key);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        throw wrongType(key, "a bool");
    }

    /** The array value of {@code key}, or null if absent; a non-array value is an error. */
    public List<Object> getList(String key) {
        Object v = metadata.get(key);
        if (v == null) return null;
        if (v instanceof GgufArray a) return a;
        throw wrongType(key, "an array");
    }

    /** The string array {@code key} (e.g. {@code tokenizer.ggml.tokens}), or null if absent. */
    public String[] getStringArray(String key) {
        List<Object> l = getList(key);
        if (l == null) return null;
        String[] out = new String[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof String s)) throw wrongType(key, "an array of strings");
            out[i] = s;
        }
        return out;
    }

    /** The numeric array {@code key} as floats (e.g. {@code tokenizer.ggml.scores}), or null if absent. */
    public float[] getFloatArray(String key) {
        List<Object> l = getList(key);
        if (l == null) return null;
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            Object e = l.get(i);
            if (e instanceof Double d) out[i] = d.floatValue();
            else if (e instanceof Long x) out[i] = x;
            else throw wrongType(key, "an array of numbers");
        }
        return out;
    }

    /** The integer array {@code key} as ints (e.g. {@code tokenizer.ggml.token_type}), or null if absent. */
    public int[] getIntArray(String key) {
        List<Object> l = getList(key);
        if (l == null) return null;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long x)) throw wrongType(key, "an array of integers");
            if (x != (int) (long) x) {
                throw new ModelFormatException(path, "metadata key '" + key + "' element " + i + " = " + x
                        + " does not fit in an int");
            }
            out[i] = (int) (long) x;
        }
        return out;
    }

    private ModelFormatException wrongType(String key, String expected) {
        GgufType t = types.get(key);
        String actual = t == GgufType.ARRAY ? "ARRAY of " + ((GgufArray) metadata.get(key)).elementType() : String.valueOf(t);
        return new ModelFormatException(path, "metadata key '" + key + "' is " + actual + ", expected " + expected);
    }

    /** All tensors in file order. */
    public List<Tensor> tensors() { return tensors; }

    /** The tensor called {@code name}, or null if there is none. */
    public Tensor tensor(String name) { return tensorsByName.get(name); }

    /** Unmaps the file; its tensors become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }

    // ------------------------------------------------------------------------------------------------ internals

    private static final class Info {
        final String name;
        final long[] ne;
        final long typeId;
        final long offset;
        DType dtype;
        long nbytes;

        Info(String name, long[] ne, long typeId, long offset) {
            this.name = name;
            this.ne = ne;
            this.typeId = typeId;
            this.offset = offset;
        }
    }

    /** ggml type names for error messages (ids of removed types included for completeness). */
    private static final String[] GGML_TYPE_NAMES = {
        "F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0", "Q5_1", "Q8_0", "Q8_1",
        "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
        "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
        "BF16", "Q4_0_4_4 (removed)", "Q4_0_4_8 (removed)", "Q4_0_8_8 (removed)", "TQ1_0", "TQ2_0",
        "IQ4_NL_4_4 (removed)", "IQ4_NL_4_8 (removed)", "IQ4_NL_8_8 (removed)", "MXFP4",
    };

    static String ggmlTypeName(long id) {
        return id >= 0 && id < GGML_TYPE_NAMES.length ? GGML_TYPE_NAMES[(int) id] : "unknown";
    }

    /** Bounds-checked little-endian reader over the mapping; every failure is a ModelFormatException. */
    private static final class Cursor {
        final Path path;
        final MemorySegment seg;
        final long size;
        long pos;

        Cursor(Path path, MemorySegment seg) {
            this.path = path;
            this.seg = seg;
            this.size = seg.byteSize();
        }

        ModelFormatException error(String problem) {
            return new ModelFormatException(path, problem);
        }

        long remaining() { return size - pos; }

        void need(long n, String what) {
            if (n > size - pos) {
                throw error("truncated: reading " + what + " at offset " + pos + " needs " + n
                        + " bytes, only " + (size - pos) + " left in the file");
            }
        }

        /** Fails unless {@code count} (unsigned) items of at least {@code minBytes} each fit in the rest of the file. */
        void checkCount(long count, long minBytes, String what) {
            long max = remaining() / Math.max(1, minBytes);
            if (Long.compareUnsigned(count, max) > 0) {
                throw error("truncated or corrupt: " + what + " " + Long.toUnsignedString(count) + " is impossible: the remaining "
                        + remaining() + " bytes of the file can hold at most " + max);
            }
        }

        byte u8(String what) {
            need(1, what);
            return seg.get(ValueLayout.JAVA_BYTE, pos++);
        }

        short u16(String what) {
            need(2, what);
            short v = seg.get(U16, pos);
            pos += 2;
            return v;
        }

        int u32(String what) {
            need(4, what);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        GgufType type(String what) {
            long id = u32(what) & 0xffff_ffffL;
            GgufType t = GgufType.fromId(id);
            if (t == null) throw error("unknown metadata value type " + id + " for " + what);
            return t;
        }

        String string(String what) {
            long start = pos;
            if (remaining() < 8) need(8, "length of " + what); // message built only on failure
            long len = seg.get(U64, pos);
            pos += 8;
            if (len < 0 || len > remaining()) {
                throw error("truncated or corrupt: " + what + " at offset " + start + " claims "
                        + Long.toUnsignedString(len) + " bytes, only " + remaining() + " left in the file");
            }
            if (len > MAX_STRING_BYTES) {
                throw error(what + " at offset " + start + " is " + len + " bytes long, more than the limit of "
                        + MAX_STRING_BYTES);
            }
            byte[] b = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }
    }
}
