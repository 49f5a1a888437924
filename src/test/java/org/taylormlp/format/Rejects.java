package org.taylormlp.format;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** Assertions for malformed-file tests: a typed error naming the file, fast, with little heap allocated. */
public final class Rejects {
    /** Opens a file; may throw anything. */
    @FunctionalInterface
    public interface Opener {
        AutoCloseable open(Path p) throws Exception;
    }

    private Rejects() {}

    /**
     * Asserts that opening {@code p} throws a ModelFormatException whose message names {@code named} (usually
     * {@code p}) and contains {@code fragment}, within 5 s and allocating less than 64 MiB of heap.
     */
    public static void assertRejected(Opener opener, Path p, Path named, String fragment) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            long before = mx.getCurrentThreadAllocatedBytes();
            assertThatThrownBy(() -> {
                try (AutoCloseable c = opener.open(p)) {
                    // opened without error: the assertion below fails
                }
            }).isExactlyInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith(named.toString() + ": ")
                    .hasMessageContaining(fragment);
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("heap bytes allocated while rejecting").isLessThan(64L << 20);
        });
    }

    public static void assertRejected(Opener opener, Path p, String fragment) {
        assertRejected(opener, p, p, fragment);
    }
}
