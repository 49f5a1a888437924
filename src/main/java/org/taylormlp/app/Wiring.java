package org.taylormlp.app;

import org.taylormlp.model.ModelLoader;
import org.taylormlp.taylor.ReleaseReader;

/** Wires the optional parts (release reader, Taylor feed-forward) into the loader and engine once. */
final class Wiring {
    private Wiring() {}

    /** The release part of {@code inspect}: order, coverage per layer, error bounds, parameters in the clear. */
    static String releaseSection(org.taylormlp.model.Model m) {
        ReleaseReader.Info i = ReleaseReader.info(m);
        if (i == null) return null;
        StringBuilder sb = new StringBuilder("\ntaylormlp release (format " + i.formatVersion() + ", " + i.toolVersion() + ")\n");
        sb.append(String.format("order N = %d, activation %s, selection %s, out of range: %s, z0 %s%n", i.order(),
                i.activation(), i.selection(), i.clamp() > 0 ? "clamp " + i.clamp() : "polynomial",
                i.z0Published() ? "published" : "hidden"));
        int hidden = m.config().hiddenDim();
        long prot = 0;
        for (int p : i.protectedPerLayer()) prot += p;
        sb.append(String.format("protected neurons: %,d of %,d (%.1f %%)%n", prot, (long) hidden * i.protectedPerLayer().length,
                100.0 * prot / ((long) hidden * i.protectedPerLayer().length)));
        sb.append(String.format("stored in the clear: %.1f %% of MLP parameters, %.1f %% of all original parameters%n",
                100 * i.fractionMlpParamsInClear(), 100 * i.fractionParamsInClear()));
        sb.append("layer  protected/hidden  coverage  truncation bound (worst-ratio neuron, calibrated range)\n");
        for (int l = 0; l < i.protectedPerLayer().length; l++) {
            sb.append(String.format("%5d  %7d/%-7d  %6.1f %%  %.3g%n", l, i.protectedPerLayer()[l], hidden,
                    100.0 * i.protectedPerLayer()[l] / hidden, i.errorBounds()[l]));
        }
        sb.append("source sha256: ").append(i.sourceSha256()).append('\n');
        org.taylormlp.taylor.ReleaseIntegrity.Report r = org.taylormlp.taylor.ReleaseIntegrity.report(m);
        if (r != null) {
            sb.append("integrity: ").append(r.describe()).append('\n');
            if (r.recipient() != null) sb.append("issued to: ").append(r.recipient()).append(" (owner key ").append(r.ownerKeyId()).append(")\n");
        }
        return sb.toString();
    }

    private static volatile boolean done;

    static synchronized void ensureRegistered() {
        if (done) return;
        ModelLoader.registerReleaseOpener(new ReleaseReader());
        Engine.registerFeedForwardSupplier(ReleaseReader::feedForwards);
        Inspector.addSection(Wiring::releaseSection);
        done = true;
    }
}
