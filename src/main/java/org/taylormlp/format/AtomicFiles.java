package org.taylormlp.format;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Helpers shared by the file writers: write to {@code <target>.tmp}, then rename over the target, so that a
 * failure (exception, full disk, crash) never leaves a partial file under the final name; and streaming of
 * {@link MemorySegment}s (often memory-mapped inputs) to a channel in bounded chunks without heap copies.
 */
public final class AtomicFiles {
    /** Largest slice handed to one {@link FileChannel#write} call: keeps ByteBuffer views far below 2 GiB. */
    private static final long CHUNK = 16L << 20;

    private AtomicFiles() {}

    /** Writes the file body to a channel. */
    @FunctionalInterface
    public interface Body {
        void writeTo(FileChannel ch) throws IOException;
    }

    /** The temporary sibling used while writing {@code target}. */
    public static Path tmpFor(Path target) {
        Path name = target.getFileName();
        if (name == null) throw new IllegalArgumentException("not a file path: " + target);
        return target.resolveSibling(name + ".tmp");
    }

    /**
     * Runs {@code body} against {@code target + ".tmp"}, forces it to disk and renames it to {@code target}
     * (atomically where the file system supports it). On any failure the temporary file is deleted and the
     * target is left untouched.
     */
    public static void write(Path target, Body body) throws IOException {
        Path tmp = tmpFor(target);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                body.writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** Writes all of {@code buf} (looping over short writes). */
    public static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /**
     * Streams {@code seg} to {@code ch} in chunks of at most 16 MiB. Native and mapped segments (and heap segments
     * over {@code byte[]}) are written in place, without a copy; other heap segments (e.g. over {@code float[]})
     * go through a small reusable buffer.
     */
    public static void writeSegment(FileChannel ch, MemorySegment seg) throws IOException {
        long n = seg.byteSize();
        boolean direct = seg.isNative() || seg.heapBase().map(b -> b instanceof byte[]).orElse(false);
        if (direct) {
            for (long off = 0; off < n; off += CHUNK) {
                writeFully(ch, seg.asSlice(off, Math.min(CHUNK, n - off)).asByteBuffer());
            }
            return;
        }
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(n, 1 << 20));
        MemorySegment bufSeg = MemorySegment.ofBuffer(buf);
        for (long off = 0; off < n; ) {
            int len = (int) Math.min(buf.capacity(), n - off);
            MemorySegment.copy(seg, off, bufSeg, 0, len);
            buf.clear().limit(len);
            writeFully(ch, buf);
            off += len;
        }
    }

    /** Writes {@code n} zero bytes. */
    public static void writeZeros(FileChannel ch, long n) throws IOException {
        if (n <= 0) return;
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(n, 1 << 16));
        while (n > 0) {
            zeros.clear().limit((int) Math.min(n, zeros.capacity()));
            n -= zeros.remaining();
            writeFully(ch, zeros);
        }
    }

    /** {@link #write} of a UTF-8 text file. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        write(target, ch -> writeFully(ch, ByteBuffer.wrap(b)));
    }

    /** {@link #write} of a file whose content is {@code bytes}. */
    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, ch -> writeFully(ch, ByteBuffer.wrap(bytes)));
    }
}
