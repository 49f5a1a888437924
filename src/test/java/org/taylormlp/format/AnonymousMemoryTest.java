package org.taylormlp.format;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnonymousMemoryTest {
    @Test
    void givesZeroedWritableMemoryAlignedToHugePagesAndFreesItOnClose() {
        long n = (3L << 20) + 5;
        MemorySegment seg;
        try (AnonymousMemory m = AnonymousMemory.allocate(n)) {
            seg = m.segment();
            assertThat(seg.byteSize()).isEqualTo(n);
            if (System.getProperty("os.name").toLowerCase().contains("linux")) {
                assertThat(m.osMapped()).isTrue();
                assertThat(seg.address() % AnonymousMemory.HUGE_PAGE).isZero();
            }
            for (long i = 0; i < n; i += 4093) assertThat(seg.get(ValueLayout.JAVA_BYTE, i)).isZero();
            seg.set(ValueLayout.JAVA_BYTE, n - 1, (byte) 7);
            seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 9);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, n - 1)).isEqualTo((byte) 7);
            assertThat(seg.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 9);
            assertThatThrownBy(() -> m.segment().get(ValueLayout.JAVA_BYTE, n)).isInstanceOf(IndexOutOfBoundsException.class);
        }
        assertThat(seg.scope().isAlive()).isFalse();
        assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void emptyAndNegativeSizes() {
        try (AnonymousMemory m = AnonymousMemory.allocate(0)) {
            assertThat(m.segment().byteSize()).isZero();
        }
        assertThatThrownBy(() -> AnonymousMemory.allocate(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
