package org.taylormlp.format;

/**
 * Recognises the JVM's report of a fault while reading a memory-mapped file: when a mapped model file is truncated
 * (or its storage fails) underneath the process, the next read of a lost page raises SIGBUS, which the JVM turns
 * into an {@link InternalError} ("a fault occurred in an unsafe memory access operation") in the reading thread.
 * The process is fine; the model is not. Callers at the edges (CLI, server) turn it into a clear error.
 */
public final class MappedFault {
    private MappedFault() {}

    /** True if {@code t} (or a cause) is the JVM's mapped-memory fault. */
    public static boolean is(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof InternalError && c.getMessage() != null && c.getMessage().contains("unsafe memory access")) return true;
            if (c.getCause() == c) break;
        }
        return false;
    }

    /** The user-facing explanation. */
    public static String message(Throwable t) {
        return "a model file was changed or truncated while it was mapped (" + t.getMessage()
                + "); restart with an intact file";
    }
}
