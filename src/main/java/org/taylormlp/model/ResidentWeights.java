package org.taylormlp.model;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.AnonymousMemory;
import org.taylormlp.format.FileMapping;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a {@link WeightLoading} policy to a loaded model: copies its memory-mapped tensors into one block of
 * {@link AnonymousMemory} with positional file reads, chunk by chunk, so that the mapping is never faulted in
 * and the resident set never holds the weights twice (pages of a copied tensor that were faulted in before, by a
 * release's digest check for one, are dropped from the mapping after the copy). The token-embedding table stays mapped when
 * a separate output matrix exists: decode reads one of its rows per token, so copying it would only add
 * resident memory.
 */
public final class ResidentWeights {
    /** Metadata key under which the resulting model describes where its weights live. */
    public static final String PLACEMENT_KEY = "weights.placement";
    private static final long CHUNK = 64L << 20;
    private static final long ALIGN = 64;

    private ResidentWeights() {}

    /** Thrown when an explicit copy would not fit in the memory the kernel reports available. */
    public static final class InsufficientMemoryException extends TaylorMlpException {
        InsufficientMemoryException(String message) { super(message); }
    }

    /** Whether {@link #apply} copied weights of {@code m} into private memory. */
    public static boolean copied(Model m) {
        return m.metadata().containsKey(PLACEMENT_KEY);
    }

    /** How the weights of {@code m} are placed, as recorded by {@link #apply}; "memory-mapped from the file" otherwise. */
    public static String placement(Model m) {
        Object p = m.metadata().get(PLACEMENT_KEY);
        return p == null ? "memory-mapped from the file" : p.toString();
    }

    /** {@link #apply(Model, WeightLoading, Progress)} without progress reports. */
    public static Model apply(Model m, WeightLoading mode) {
        return apply(m, mode, (done, total) -> {});
    }

    /** Receives the tensor bytes copied so far and their total, after each chunk. */
    @FunctionalInterface
    public interface Progress {
        void copied(long done, long total);
    }

    /**
     * Returns {@code m} itself for {@link WeightLoading#MMAP} (or when nothing is mapped, or {@code AUTO} decides
     * against copying), else a model whose mapped tensors are copies in anonymous memory; ownership of
     * {@code m}'s resources moves to it. Tensors are read from their files with positional reads (no page
     * faults on the mapping, which stays untouched); a mapped tensor whose file is unknown is copied from the
     * mapping, releasing each copied chunk of it.
     *
     * @throws InsufficientMemoryException for {@link WeightLoading#COPY} when the copy exceeds MemAvailable
     * @throws ModelFormatException        when a file no longer holds the bytes it was mapped with
     */
    public static Model apply(Model m, WeightLoading mode, Progress progress) {
        return apply(m, mode, progress, memAvailable());
    }

    /** {@link #apply(Model, WeightLoading, Progress)} with MemAvailable given ({@code -1}: unknown). */
    static Model apply(Model m, WeightLoading mode, Progress progress, long available) {
        if (mode == WeightLoading.MMAP) return m;
        Map<String, Tensor> tensors = m.tensors();
        boolean embeddingCold = !m.config().tiedEmbeddings() && tensors.containsKey(TensorNames.OUTPUT);
        long bytes = 0, payload = 0;
        int count = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (copies(e.getKey(), e.getValue(), embeddingCold)) {
                bytes = align(bytes) + e.getValue().byteSize();
                payload += e.getValue().byteSize();
                count++;
            }
        }
        if (count == 0) return m;
        if (mode == WeightLoading.AUTO && (available < 0 || bytes > available / 100 * WeightLoading.AUTO_FRACTION_PERCENT)) {
            return m;
        }
        if (mode == WeightLoading.COPY && available >= 0 && bytes > available) {
            throw new InsufficientMemoryException(String.format(
                    "copying %,d bytes of weights into memory needs more than the %,d bytes available; use --load mmap", bytes, available));
        }
        AnonymousMemory mem = AnonymousMemory.allocate(bytes);
        Map<Path, FileChannel> channels = new HashMap<>();
        try {
            MemorySegment dst = mem.segment();
            List<FileMapping> files = m.fileMappings();
            Map<String, Tensor> out = new LinkedHashMap<>();
            long off = 0, done = 0;
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                if (!copies(e.getKey(), t, embeddingCold)) {
                    out.put(e.getKey(), t);
                    continue;
                }
                off = align(off);
                MemorySegment src = t.data();
                FileMapping file = containing(files, src);
                for (long p = 0; p < src.byteSize(); p += CHUNK) {
                    long n = Math.min(CHUNK, src.byteSize() - p);
                    MemorySegment to = dst.asSlice(off + p, n);
                    if (file != null) {
                        read(channels, file, src.address() - file.mapping().address() + p, to);
                    } else {
                        MemorySegment.copy(src, p, to, 0, n);
                    }
                    // pages of the mapping that an earlier pass faulted in (a release's digest check hashes
                    // every tensor through it) would otherwise stay resident beside the copy
                    src.asSlice(p, n).unload();
                    done += n;
                    progress.copied(done, payload);
                }
                out.put(e.getKey(), new Tensor(t.name(), t.dtype(), t.shape(), dst.asSlice(off, src.byteSize())));
                off += src.byteSize();
            }
            String placement = String.format("%d tensors (%,d bytes) copied into private memory%s%s", count, payload,
                    mem.hugePagesAdvised() ? " with transparent huge pages advised" : "",
                    embeddingCold && tensors.get(TensorNames.TOKEN_EMBD) != null && tensors.get(TensorNames.TOKEN_EMBD).data().isMapped()
                            ? "; token embeddings stay memory-mapped" : "");
            return m.rehome(out, PLACEMENT_KEY, placement, mem);
        } catch (RuntimeException | Error e) {
            mem.close();
            throw e;
        } finally {
            for (FileChannel ch : channels.values()) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // read-only channel: nothing was written that closing could lose
                }
            }
        }
    }

    private static FileMapping containing(List<FileMapping> files, MemorySegment s) {
        for (FileMapping f : files) {
            MemorySegment map = f.mapping();
            if (s.address() >= map.address() && s.address() + s.byteSize() <= map.address() + map.byteSize()) return f;
        }
        return null;
    }

    /** Fills {@code to} from {@code file} at {@code position} with positional reads. */
    private static void read(Map<Path, FileChannel> channels, FileMapping file, long position, MemorySegment to) {
        Path path = file.path();
        try {
            FileChannel ch = channels.get(path);
            if (ch == null) {
                ch = FileChannel.open(path, StandardOpenOption.READ);
                channels.put(path, ch);
            }
            ByteBuffer bb = to.asByteBuffer();
            while (bb.hasRemaining()) {
                int r = ch.read(bb, position + bb.position());
                if (r < 0) throw new ModelFormatException(path, "file shrank while loading: ends before byte " + (position + bb.position()));
            }
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean copies(String name, Tensor t, boolean embeddingCold) {
        if (!t.data().isMapped()) return false;
        return !(embeddingCold && name.equals(TensorNames.TOKEN_EMBD));
    }

    private static long align(long off) {
        return (off + ALIGN - 1) & -ALIGN;
    }

    /** MemAvailable from /proc/meminfo in bytes, or -1 where it cannot be read. */
    static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: the caller treats unknown as "do not copy automatically"
        }
        return -1;
    }
}
