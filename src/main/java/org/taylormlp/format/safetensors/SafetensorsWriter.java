package org.taylormlp.format.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.format.AtomicFiles;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Builds {@code .safetensors} files: an 8-byte little-endian header length, a JSON header padded with spaces to a
 * multiple of 8 bytes (optional {@code __metadata__} first, then tensors in insertion order with contiguous
 * {@code data_offsets}), then the tensor bytes.
 *
 * <p>F32, F16 and BF16 tensors are written as they are, streamed from their memory segments (no heap copy of
 * memory-mapped inputs). Quantized tensors (Q8_0, Q4_0), which safetensors cannot hold, are dequantized to F32
 * while streaming, chunk by chunk. Every file is written to {@code <name>.tmp} and renamed into place.
 *
 * <p>{@link #writeSharded} produces the Hugging Face sharded layout: {@code model-00001-of-0000N.safetensors} ...
 * plus {@code model.safetensors.index.json}. Not thread-safe.
 */
public final class SafetensorsWriter {
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
    private final LinkedHashMap<String, Entry> tensors = new LinkedHashMap<>();
    private Finisher finisher;

    /**
     * Completes the metadata once every tensor's bytes are written: receives the tensor table and the SHA-256 of
     * each tensor's stored bytes (computed while streaming), and returns new values for metadata keys that were
     * put as placeholders. Each new value must give a header of exactly the same length (e.g. a hex digest in
     * place of a run of zeros), since the header is rewritten in place before the file is renamed into place.
     */
    @FunctionalInterface
    public interface Finisher {
        Map<String, String> finish(Map<String, String> metadata, List<SafetensorsFile.TableEntry> table, Map<String, byte[]> sha256)
                throws IOException;
    }

    /** Hash every tensor while writing and let {@code f} fill in placeholder metadata afterwards (single file only). */
    public SafetensorsWriter withTensorDigests(Finisher f) {
        this.finisher = Objects.requireNonNull(f, "finisher");
        return this;
    }

    /**
     * Produces the rows of a tensor that is computed while the file is written (e.g. Taylor coefficients), so it
     * never needs to exist in memory as a whole.
     */
    @FunctionalInterface
    public interface RowProducer {
        /** Fills {@code dst} (length = columns) with row {@code row}; rows are requested in order. */
        void row(long row, float[] dst) throws IOException;
    }

    /** A tensor to write: either a view of existing bytes, or rows computed on demand. */
    private record Entry(DType stored, long[] shape, Tensor tensor, RowProducer producer) {
        long bytes() {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return stored.bytesFor(n);
        }
    }

    /** Adds {@code t} under its own name. */
    public SafetensorsWriter addTensor(Tensor t) { return addTensor(t.name(), t); }

    /** Adds {@code t} under {@code name} (unique, not {@code __metadata__}); quantized tensors are stored as F32. */
    public SafetensorsWriter addTensor(String name, Tensor t) {
        Objects.requireNonNull(t, "tensor");
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("empty tensor name");
        if (name.equals(SafetensorsFile.METADATA_KEY)) throw new IllegalArgumentException("reserved tensor name " + name);
        if (tensors.containsKey(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        if (t.rank() > SafetensorsFile.MAX_RANK) {
            throw new IllegalArgumentException("tensor '" + name + "' has rank " + t.rank() + " > " + SafetensorsFile.MAX_RANK);
        }
        tensors.put(name, new Entry(storedType(t), t.shape(), t, null));
        return this;
    }

    /**
     * Adds a [rows, cols] tensor stored as {@code dtype} (F32, F16 or BF16) whose rows are produced on demand, in
     * order, while the file is written.
     */
    public SafetensorsWriter addComputed(String name, DType dtype, long rows, long cols, RowProducer producer) {
        Objects.requireNonNull(producer, "producer");
        if (dtype.quantized()) throw new IllegalArgumentException("computed tensors must be F32, F16 or BF16");
        if (name == null || name.isEmpty() || name.equals(SafetensorsFile.METADATA_KEY)) {
            throw new IllegalArgumentException("bad tensor name '" + name + "'");
        }
        if (tensors.containsKey(name)) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        if (rows < 0 || cols < 0 || cols > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("bad shape for " + name);
        tensors.put(name, new Entry(dtype, new long[]{rows, cols}, null, producer));
        return this;
    }

    /** Adds a {@code __metadata__} entry (HF files usually carry {@code "format": "pt"}). */
    public SafetensorsWriter putMetadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /** Names of the tensors added so far, in file order. */
    public List<String> tensorNames() { return List.copyOf(tensors.keySet()); }

    /** The dtype a tensor is stored with: its own, or F32 for quantized tensors. */
    static DType storedType(Tensor t) {
        return t.dtype().quantized() ? DType.F32 : t.dtype();
    }


    /** Writes all tensors to one file at {@code path} (via {@code path.tmp} and an atomic rename). */
    public void write(Path path) throws IOException {
        writeFile(path, new ArrayList<>(tensors.entrySet()));
    }

    /**
     * Writes the tensors into {@code dir} as shards of at most {@code maxShardBytes} of tensor data each (a tensor
     * larger than that gets a shard of its own), in insertion order, named {@code model-%05d-of-%05d.safetensors},
     * then {@code model.safetensors.index.json} with {@code metadata.total_size} and the {@code weight_map}. The
     * folder is created if needed; the index is written last.
     *
     * @return the shard files written
     */
    public List<Path> writeSharded(Path dir, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive: " + maxShardBytes);
        if (finisher != null) throw new IllegalStateException("tensor digests are supported for single-file writes only");
        List<List<Map.Entry<String, Entry>>> groups = new ArrayList<>();
        List<Map.Entry<String, Entry>> cur = new ArrayList<>();
        long curBytes = 0, total = 0;
        for (Map.Entry<String, Entry> e : tensors.entrySet()) {
            long b = e.getValue().bytes();
            if (!cur.isEmpty() && curBytes + b > maxShardBytes) {
                groups.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(e);
            curBytes += b;
            total += b;
        }
        if (!cur.isEmpty() || groups.isEmpty()) groups.add(cur);

        Files.createDirectories(dir);
        int n = groups.size();
        List<Path> written = new ArrayList<>(n);
        ObjectNode index = SafetensorsJson.MAPPER.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < n; i++) {
            String file = String.format("model-%05d-of-%05d.safetensors", i + 1, n);
            Path p = dir.resolve(file);
            writeFile(p, groups.get(i));
            written.add(p);
            for (Map.Entry<String, Entry> e : groups.get(i)) weightMap.put(e.getKey(), file);
        }
        byte[] json = SafetensorsJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
        AtomicFiles.write(dir.resolve(SafetensorsFolder.INDEX_FILE), ch -> AtomicFiles.writeFully(ch, ByteBuffer.wrap(json)));
        return written;
    }

    private void writeFile(Path path, List<Map.Entry<String, Entry>> entries) throws IOException {
        byte[] header = header(entries);
        AtomicFiles.write(path, ch -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            AtomicFiles.writeFully(ch, len);
            AtomicFiles.writeFully(ch, ByteBuffer.wrap(header));
            Map<String, byte[]> digests = finisher == null ? null : new LinkedHashMap<>();
            for (Map.Entry<String, Entry> e : entries) {
                MessageDigest md = digests == null ? null : sha256();
                writeData(ch, e.getValue(), md);
                if (md != null) digests.put(e.getKey(), md.digest());
            }
            if (finisher != null) {
                Map<String, String> patch = finisher.finish(java.util.Collections.unmodifiableMap(metadata), table(entries), digests);
                for (Map.Entry<String, String> p : patch.entrySet()) {
                    if (!metadata.containsKey(p.getKey())) {
                        throw new IllegalStateException("finisher set metadata key '" + p.getKey() + "' that has no placeholder");
                    }
                    metadata.put(p.getKey(), Objects.requireNonNull(p.getValue(), "value"));
                }
                byte[] finalHeader = header(entries);
                if (finalHeader.length != header.length) {
                    throw new IllegalStateException("finished header is " + finalHeader.length + " bytes, the placeholder one "
                            + header.length);
                }
                ByteBuffer b = ByteBuffer.wrap(finalHeader);
                for (long pos = 8; b.hasRemaining(); ) pos += ch.write(b, pos);
            }
        });
    }

    private static MessageDigest sha256() { return org.taylormlp.Digests.sha256(); }

    private static List<SafetensorsFile.TableEntry> table(List<Map.Entry<String, Entry>> entries) {
        List<SafetensorsFile.TableEntry> out = new ArrayList<>(entries.size());
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries) {
            long end = offset + e.getValue().bytes();
            out.add(new SafetensorsFile.TableEntry(e.getKey(), e.getValue().stored().safetensorsName(), e.getValue().shape().clone(),
                    offset, end));
            offset = end;
        }
        return out;
    }

    /** Feeds {@code seg}'s bytes to {@code md} in chunks (mapped, native or heap segments of any array type). */
    public static void digest(MessageDigest md, MemorySegment seg) {
        long n = seg.byteSize();
        boolean direct = seg.isNative() || seg.heapBase().map(b -> b instanceof byte[]).orElse(false);
        if (direct) {
            for (long off = 0; off < n; off += 1 << 20) md.update(seg.asSlice(off, Math.min(1 << 20, n - off)).asByteBuffer());
            return;
        }
        byte[] buf = new byte[(int) Math.min(n, 1 << 20)];
        for (long off = 0; off < n; ) {
            int len = (int) Math.min(buf.length, n - off);
            MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, off, buf, 0, len);
            md.update(buf, 0, len);
            off += len;
        }
    }

    private byte[] header(List<Map.Entry<String, Entry>> entries) {
        ObjectNode root = SafetensorsJson.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode md = root.putObject(SafetensorsFile.METADATA_KEY);
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries) {
            Entry t = e.getValue();
            ObjectNode o = root.putObject(e.getKey());
            o.put("dtype", t.stored().safetensorsName());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long end = offset + t.bytes();
            o.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = SafetensorsJson.MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        if (padded > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new IllegalStateException("safetensors header of " + padded + " bytes exceeds the limit of "
                    + SafetensorsFile.MAX_HEADER_BYTES);
        }
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeData(FileChannel ch, Entry entry, MessageDigest md) throws IOException {
        if (entry.producer() != null) {
            writeComputed(ch, entry, md);
            return;
        }
        Tensor t = entry.tensor();
        if (!t.dtype().quantized()) {
            AtomicFiles.writeSegment(ch, t.data());
            if (md != null) digest(md, t.data());
            // a copied memory-mapped source need not stay resident: drop its pages (they reload on demand)
            if (t.data().isMapped()) t.data().unload();
            return;
        }
        // dequantize to F32 in chunks of whole blocks
        long n = t.size();
        int chunk = 1 << 16;
        float[] buf = new float[(int) Math.min(chunk, n)];
        ByteBuffer bytes = ByteBuffer.allocate(buf.length * 4);
        MemorySegment seg = MemorySegment.ofBuffer(bytes);
        for (long start = 0; start < n; ) {
            int len = (int) Math.min(buf.length, n - start);
            t.read(start, buf, 0, len);
            MemorySegment.copy(buf, 0, seg, Tensor.F32_LE, 0, len);
            bytes.clear().limit(len * 4);
            if (md != null) md.update(bytes.duplicate());
            AtomicFiles.writeFully(ch, bytes);
            start += len;
        }
    }

    private static void writeComputed(FileChannel ch, Entry e, MessageDigest md) throws IOException {
        long rows = e.shape()[0];
        int cols = (int) e.shape()[1];
        int width = e.stored() == DType.F32 ? 4 : 2;
        float[] row = new float[cols];
        ByteBuffer bytes = ByteBuffer.allocate(cols * width).order(ByteOrder.LITTLE_ENDIAN);
        for (long r = 0; r < rows; r++) {
            e.producer().row(r, row);
            bytes.clear();
            for (int c = 0; c < cols; c++) {
                switch (e.stored()) {
                    case F32 -> bytes.putFloat(row[c]);
                    case F16 -> bytes.putShort(Float.floatToFloat16(row[c]));
                    case BF16 -> bytes.putShort(org.taylormlp.tensor.Quantize.fp32ToBf16(row[c]));
                    default -> throw new IllegalStateException();
                }
            }
            bytes.flip();
            if (md != null) md.update(bytes.duplicate());
            AtomicFiles.writeFully(ch, bytes);
        }
    }

    /** Header bytes as they would be written for all tensors (for tests and size estimates). */
    byte[] headerBytes() {
        return header(new ArrayList<>(tensors.entrySet()));
    }
}
