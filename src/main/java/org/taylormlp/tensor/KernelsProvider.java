package org.taylormlp.tensor;

/**
 * Chooses the kernel backend once. {@code -Dtaylormlp.kernels=scalar|vector|auto} (default auto) overrides:
 * auto and vector use {@link VectorKernels} when the {@code jdk.incubator.vector} module is in the boot layer
 * (run with {@code --add-modules jdk.incubator.vector}); otherwise a loud warning goes to stderr and the plain
 * {@link ScalarKernels} (single-threaded, several times slower) are used.
 */
public final class KernelsProvider {
    private KernelsProvider() {}

    /** True when the Vector API module is present in this JVM. */
    public static boolean vectorApiAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /** Kernels using {@code threads} threads (the calling one included); threads &lt; 1 means all processors. */
    public static Kernels create(int threads) {
        if (threads < 1) threads = Runtime.getRuntime().availableProcessors();
        String forced = System.getProperty("taylormlp.kernels", "auto").trim().toLowerCase(java.util.Locale.ROOT);
        switch (forced) {
            case "scalar":
                return ScalarKernels.INSTANCE;
            case "auto":
            case "vector":
                break;
            default:
                throw new IllegalArgumentException("taylormlp.kernels must be auto, vector or scalar, got '" + forced + "'");
        }
        if (!vectorApiAvailable()) {
            warn("the jdk.incubator.vector module is not available (start the JVM with --add-modules jdk.incubator.vector)");
            return ScalarKernels.INSTANCE;
        }
        try {
            return new VectorKernels(threads);
        } catch (LinkageError | RuntimeException e) {
            warn("the Vector API kernels failed to start: " + e);
            return ScalarKernels.INSTANCE;
        }
    }

    private static void warn(String why) {
        System.err.println("""
                ************************************************************************
                WARNING: taylormlp is using the SLOW scalar kernels (single-threaded):
                  %s
                ************************************************************************""".formatted(why));
    }
}
