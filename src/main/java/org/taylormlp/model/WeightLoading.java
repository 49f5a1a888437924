package org.taylormlp.model;

import java.util.Locale;

/**
 * Where a model's weights live while it runs.
 * <ul>
 *   <li>{@link #MMAP}: read in place from the memory-mapped file (llama.cpp's default). Start-up is instant and
 *       the pages are shared page cache, but the kernel may reclaim them at any time and fault them back in
 *       during a token.</li>
 *   <li>{@link #COPY}: copied once into private anonymous memory with transparent huge pages advised
 *       (llama.cpp's {@code --no-mmap}). Costs one read of the file at start-up; decode then streams memory
 *       that reclaim without swap cannot touch.</li>
 *   <li>{@link #AUTO}: {@code COPY} when the weights to copy fit in {@value #AUTO_FRACTION_PERCENT} % of the
 *       memory the kernel reports available, else {@code MMAP}.</li>
 * </ul>
 */
public enum WeightLoading {
    AUTO, MMAP, COPY;

    /** Share of MemAvailable that {@link #AUTO} is willing to fill with copied weights. */
    public static final int AUTO_FRACTION_PERCENT = 70;

    /** Parses {@code auto}, {@code mmap} or {@code copy} (any case). */
    public static WeightLoading parse(String s) {
        if (s != null) {
            for (WeightLoading w : values()) if (w.name().equalsIgnoreCase(s.trim())) return w;
        }
        throw new IllegalArgumentException("weight loading must be auto, mmap or copy, got '" + s + "'");
    }

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
