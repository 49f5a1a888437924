package org.taylormlp.tensor;

/** Chooses the kernel backend once; {@code -Dtaylormlp.kernels=scalar|vector} overrides. */
public final class KernelsProvider {
    private KernelsProvider() {}

    public static Kernels create(int threads) {
        String forced = System.getProperty("taylormlp.kernels", "auto");
        if (forced.equals("scalar")) return ScalarKernels.INSTANCE;
        return ScalarKernels.INSTANCE; // replaced by the Vector API backend
    }
}
