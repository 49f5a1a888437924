package org.taylormlp.format;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Private, anonymous memory straight from the operating system, for weights copied out of their file
 * (llama.cpp's {@code --no-mmap}). On Linux it is an anonymous {@code mmap} aligned to 2 MiB and advised with
 * {@code MADV_HUGEPAGE}, so that transparent huge pages back it where the kernel allows them: fewer TLB misses
 * while a decode streams every weight once per token. Unlike a file mapping its pages are not page cache, so
 * the kernel's reclaim (e.g. a DAMON {@code pageout} scheme) cannot drop them and fault them back in mid-token
 * when there is no swap. Elsewhere, or when the native calls are unavailable, it falls back to
 * {@link Arena#allocate}. The memory is zero-filled and freed by {@link #close()}.
 */
public final class AnonymousMemory implements AutoCloseable {
    static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private record Calls(MethodHandle mmap, MethodHandle munmap, MethodHandle madvise) {}

    private static final Calls CALLS = lookup();

    private static Calls lookup() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            Optional<MemorySegment> mmap = libc.find("mmap"), munmap = libc.find("munmap"), madvise = libc.find("madvise");
            if (mmap.isEmpty() || munmap.isEmpty() || madvise.isEmpty()) return null;
            return new Calls(
                    linker.downcallHandle(mmap.get(), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG)),
                    linker.downcallHandle(munmap.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG)),
                    linker.downcallHandle(madvise.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)));
        } catch (RuntimeException | LinkageError e) {
            // native access disabled or an unusual platform: Arena memory still works, just without huge pages
            return null;
        }
    }

    private final Arena arena;
    private final MemorySegment segment;
    private final boolean osMapped;
    private final boolean hugePagesAdvised;

    private AnonymousMemory(Arena arena, MemorySegment segment, boolean osMapped, boolean hugePagesAdvised) {
        this.arena = arena;
        this.segment = segment;
        this.osMapped = osMapped;
        this.hugePagesAdvised = hugePagesAdvised;
    }

    /**
     * Reserves {@code bytes} of zeroed memory. Pages are committed as they are first written.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     * @throws OutOfMemoryError         if the operating system refuses the reservation
     */
    public static AnonymousMemory allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        Arena arena = Arena.ofShared();
        if (CALLS == null || bytes == 0) {
            return new AnonymousMemory(arena, arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes), false, false);
        }
        long reserve = bytes + HUGE_PAGE;
        MemorySegment base;
        try {
            base = (MemorySegment) CALLS.mmap.invokeExact(MemorySegment.NULL, reserve, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException("mmap failed: " + t, t);
        }
        if (base.address() == -1L || base.address() == 0L) {
            arena.close();
            throw new OutOfMemoryError("the operating system refused " + reserve + " bytes of anonymous memory");
        }
        MemorySegment whole = base.reinterpret(reserve, arena, s -> {
            try {
                int ignored = (int) CALLS.munmap.invokeExact(s, reserve);
            } catch (Throwable ignored) {
                // the process keeps the mapping; nothing else can be done from a cleanup action
            }
        });
        long skip = (HUGE_PAGE - (base.address() & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
        MemorySegment seg = whole.asSlice(skip, bytes);
        boolean advised;
        try {
            long advisedBytes = (bytes + HUGE_PAGE - 1) & -HUGE_PAGE;
            advised = (int) CALLS.madvise.invokeExact(seg, Math.min(advisedBytes, reserve - skip), MADV_HUGEPAGE) == 0;
        } catch (Throwable t) {
            advised = false;
        }
        return new AnonymousMemory(arena, seg, true, advised);
    }

    /** The usable memory (start 2 MiB aligned when it comes from {@code mmap}). */
    public MemorySegment segment() { return segment; }

    /** True when the memory came from an anonymous {@code mmap} (false: the {@link Arena} fallback). */
    public boolean osMapped() { return osMapped; }

    /** True when the kernel accepted {@code MADV_HUGEPAGE} for it. */
    public boolean hugePagesAdvised() { return hugePagesAdvised; }

    /** Frees the memory; every slice of {@link #segment()} becomes inaccessible. */
    @Override
    public void close() {
        arena.close();
    }
}
