package org.taylormlp.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A memory-mapped {@code .safetensors} file, validated on {@link #open} with the rules of the reference
 * implementation (huggingface/safetensors):
 * <ul>
 *   <li>8-byte little-endian header length N with 2 ≤ N ≤ {@value #MAX_HEADER_BYTES} and 8 + N ≤ file size;</li>
 *   <li>the header is one UTF-8 JSON object (no duplicate keys, nesting ≤ 64, only trailing whitespace), with an
 *       optional {@code __metadata__} object of string → string and one entry per tensor holding exactly
 *       {@code dtype}, {@code shape} (non-negative integers, rank ≤ {@value #MAX_RANK}) and {@code data_offsets}
 *       {@code [begin, end]} relative to the data area after the header;</li>
 *   <li>dtypes from the safetensors spec; {@code end - begin} equals the overflow-checked element count times
 *       the dtype's size (whole bytes);</li>
 *   <li>sorted by offset, the tensors tile the data area exactly: no overlap, no gap, nothing past the end and
 *       no trailing bytes (which also rules out polyglot files).</li>
 * </ul>
 * Failures are {@link ModelFormatException}s naming the file. Only F32, F16 and BF16 tensors can be used; a file
 * may hold tensors of other spec dtypes (e.g. an I64 buffer), which are validated, listed by
 * {@link #tensorNames()}, and rejected with a ModelFormatException when requested through {@link #tensor} or
 * {@link #tensors()}. Shapes are row-major as stored. Tensors are valid until {@link #close()}.
 */
public final class SafetensorsFile implements AutoCloseable, FileMapping {
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    public static final int MAX_RANK = 8;
    static final String METADATA_KEY = "__metadata__";

    private final Path path;
    private final Arena arena;
    private final MemorySegment map;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long headerBytes;
    private final Map<String, String> metadata;
    private final Map<String, Entry> entries;

    private record Entry(String name, String dtype, long[] shape, long begin, long end, Tensor tensor) {}

    private SafetensorsFile(Path path, Arena arena, MemorySegment map) {
        this.path = path;
        this.arena = arena;
        this.map = map;
        long fileSize = map.byteSize();
        if (fileSize < 8) throw error("truncated: " + fileSize + " bytes, too short for the 8-byte header length");
        long n = map.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw error("header length " + Long.toUnsignedString(n) + " is invalid (must be between 2 and "
                    + MAX_HEADER_BYTES + ")");
        }
        if (n > fileSize - 8) {
            throw error("truncated: header length " + n + " runs past the end of the file (" + fileSize + " bytes)");
        }
        this.headerBytes = n;
        byte[] header = new byte[(int) n];
        MemorySegment.copy(map, ValueLayout.JAVA_BYTE, 8, header, 0, header.length);
        JsonNode root = SafetensorsJson.parseObject(path, header, "header");

        long dataStart = 8 + n;
        long dataSize = fileSize - dataStart;
        LinkedHashMap<String, String> md = new LinkedHashMap<>();
        LinkedHashMap<String, Entry> es = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> p : root.properties()) {
            String name = p.getKey();
            JsonNode v = p.getValue();
            if (name.equals(METADATA_KEY)) {
                if (!v.isObject()) throw error(METADATA_KEY + " must be an object of strings");
                for (Map.Entry<String, JsonNode> m : v.properties()) {
                    if (!m.getValue().isTextual()) {
                        throw error(METADATA_KEY + " value of '" + m.getKey() + "' is not a string");
                    }
                    md.put(m.getKey(), m.getValue().textValue());
                }
                continue;
            }
            es.put(name, parseEntry(name, v, dataStart, dataSize));
        }

        // tile check: sorted by offsets, each tensor starts where the previous one ended, the last ends at EOF
        List<Entry> sorted = new ArrayList<>(es.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin < expected) {
                throw error("tensor '" + e.name + "' data_offsets [" + e.begin + ", " + e.end + "] overlap tensor '"
                        + prev.name + "' [" + prev.begin + ", " + prev.end + "]");
            }
            if (e.begin > expected) {
                throw error("gap in the data area: no tensor covers bytes [" + expected + ", " + e.begin + ") before '"
                        + e.name + "'");
            }
            expected = e.end;
            prev = e;
        }
        if (expected != dataSize) {
            throw error("the tensors cover " + expected + " bytes of data but the data area holds " + dataSize
                    + " bytes (trailing bytes after the last tensor)");
        }

        this.metadata = Collections.unmodifiableMap(md);
        this.entries = es;
    }

    private Entry parseEntry(String name, JsonNode v, long dataStart, long dataSize) {
        if (!v.isObject()) throw error("tensor '" + name + "' entry is not a JSON object");
        for (Map.Entry<String, JsonNode> field : v.properties()) {
            String f = field.getKey();
            if (!f.equals("dtype") && !f.equals("shape") && !f.equals("data_offsets")) {
                throw error("tensor '" + name + "' has unknown field '" + f + "'");
            }
        }
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) throw error("tensor '" + name + "' has no string 'dtype'");
        String dtype = dt.textValue();
        Integer bits = SafetensorsJson.DTYPE_BITS.get(dtype);
        if (bits == null) throw error("tensor '" + name + "' has unknown dtype '" + dtype + "'");

        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) throw error("tensor '" + name + "' has no 'shape' array");
        if (sh.size() > MAX_RANK) throw error("tensor '" + name + "' has rank " + sh.size() + " > " + MAX_RANK);
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = nonNegativeLong(sh.get(i), name, "shape[" + i + "]");

        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw error("tensor '" + name + "' needs 'data_offsets' [begin, end]");
        }
        long begin = nonNegativeLong(off.get(0), name, "data_offsets begin");
        long end = nonNegativeLong(off.get(1), name, "data_offsets end");
        if (end < begin) {
            throw error("tensor '" + name + "' data_offsets [" + begin + ", " + end + "] are out of order (end < begin)");
        }
        if (end > dataSize) {
            throw error("tensor '" + name + "' data_offsets [" + begin + ", " + end + "] lie beyond the end of the file"
                    + " (data area holds " + dataSize + " bytes)");
        }
        long nbytes;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            long totalBits = Math.multiplyExact(elements, (long) bits);
            if (totalBits % 8 != 0) {
                throw error("tensor '" + name + "' of " + dtype + Arrays.toString(shape) + " is not a whole number of bytes");
            }
            nbytes = totalBits / 8;
        } catch (ArithmeticException e) {
            throw error("tensor '" + name + "' shape " + Arrays.toString(shape) + " overflows: its size is not representable");
        }
        if (end - begin != nbytes) {
            throw error("tensor '" + name + "' is " + dtype + Arrays.toString(shape) + " = " + nbytes + " bytes but its"
                    + " data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        Tensor t = null;
        DType d = supported(dtype);
        if (d != null) t = new Tensor(name, d, shape, map.asSlice(dataStart + begin, nbytes));
        return new Entry(name, dtype, shape, begin, end, t);
    }

    static DType supported(String safetensorsDtype) {
        return switch (safetensorsDtype) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> null;
        };
    }

    private long nonNegativeLong(JsonNode n, String tensor, String what) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
            throw error("tensor '" + tensor + "' " + what + " is not a non-negative 64-bit integer: " + n);
        }
        return n.longValue();
    }

    private ModelFormatException error(String problem) {
        return new ModelFormatException(path, problem);
    }

    /**
     * Maps and validates {@code path}.
     *
     * @throws ModelFormatException if it is not a valid safetensors file
     * @throws IOException          if it cannot be opened or mapped
     */
    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new SafetensorsFile(path, arena, seg);
        } catch (Throwable t) {
            arena.close();
            throw t;
        }
    }

    @Override
    public Path path() { return path; }

    @Override
    public MemorySegment mapping() { return map; }
    /** The JSON header's length in bytes (N). */
    public long headerBytes() { return headerBytes; }
    /** The {@code __metadata__} entries (empty if none), in file order. */
    public Map<String, String> metadata() { return metadata; }

    /** Names of all tensors, of any dtype, in header order. */
    public List<String> tensorNames() { return List.copyOf(entries.keySet()); }

    public boolean contains(String name) { return entries.containsKey(name); }

    /** One row of the header's tensor table: dtype string, shape and data offsets relative to the data area. */
    public record TableEntry(String name, String dtype, long[] shape, long begin, long end) {}

    /** The tensor table in header order (every tensor, of any dtype). */
    public List<TableEntry> table() {
        List<TableEntry> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) out.add(new TableEntry(e.name, e.dtype, e.shape.clone(), e.begin, e.end));
        return Collections.unmodifiableList(out);
    }

    /** The stored bytes of tensor {@code name} (any dtype), a slice of the mapping; null if absent. */
    public MemorySegment rawBytes(String name) {
        Entry e = entries.get(name);
        return e == null ? null : map.asSlice(8 + headerBytes + e.begin, e.end - e.begin);
    }

    /** The safetensors dtype string of {@code name} (e.g. "BF16", "I64"), or null if absent. */
    public String dtypeOf(String name) {
        Entry e = entries.get(name);
        return e == null ? null : e.dtype;
    }

    /**
     * The tensor {@code name}, or null if absent.
     *
     * @throws ModelFormatException if its dtype is not F32, F16 or BF16
     */
    public Tensor tensor(String name) {
        Entry e = entries.get(name);
        if (e == null) return null;
        if (e.tensor == null) {
            throw error("tensor '" + name + "' has dtype " + e.dtype + ", which is not supported (supported: F32, F16, BF16)");
        }
        return e.tensor;
    }

    /**
     * All tensors in header order.
     *
     * @throws ModelFormatException if any has a dtype other than F32, F16 or BF16
     */
    public List<Tensor> tensors() {
        List<Tensor> out = new ArrayList<>(entries.size());
        for (String name : entries.keySet()) out.add(tensor(name));
        return Collections.unmodifiableList(out);
    }

    /** Unmaps the file; its tensors become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) arena.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + entries.size() + " tensors]";
    }
}
