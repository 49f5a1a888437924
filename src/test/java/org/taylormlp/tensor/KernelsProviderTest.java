package org.taylormlp.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KernelsProviderTest {
    @Test
    void vectorByDefaultScalarOnRequest() {
        assertThat(KernelsProvider.vectorApiAvailable()).isTrue(); // surefire runs with --add-modules
        Kernels k = KernelsProvider.create(2);
        assertThat(k).isInstanceOf(VectorKernels.class);
        assertThat(k.threads()).isEqualTo(2);
        assertThat(k.describe()).contains("2 threads");
        String old = System.getProperty("taylormlp.kernels");
        try {
            System.setProperty("taylormlp.kernels", "scalar");
            assertThat(KernelsProvider.create(2)).isSameAs(ScalarKernels.INSTANCE);
        } finally {
            if (old == null) System.clearProperty("taylormlp.kernels");
            else System.setProperty("taylormlp.kernels", old);
        }
        ((VectorKernels) k).pool().close();
    }
}
