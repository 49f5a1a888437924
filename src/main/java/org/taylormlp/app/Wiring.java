package org.taylormlp.app;

import org.taylormlp.model.ModelLoader;
import org.taylormlp.taylor.ReleaseReader;

/** Wires the optional parts (release reader, Taylor feed-forward) into the loader and engine once. */
final class Wiring {
    private Wiring() {}

    private static volatile boolean done;

    static synchronized void ensureRegistered() {
        if (done) return;
        ModelLoader.registerReleaseOpener(new ReleaseReader());
        Engine.registerFeedForwardSupplier(ReleaseReader::feedForwards);
        done = true;
    }
}
