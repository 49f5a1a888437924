package org.taylormlp.trace;

import org.taylormlp.runtime.Engine;
import org.taylormlp.audit.ReleaseRecovery;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.taylor.ReleaseReader;

import java.nio.file.Path;

/**
 * A model to trace, opened from any format the engine loads. A taylormlp release is first turned back into an
 * ordinary model by the audit's zero-query recovery (what an attacker holding the file would do), so a release and
 * the checkpoint recovered from it are scored the same way.
 */
public final class Suspect implements AutoCloseable {
    private final Model loaded;
    private final Model model;
    private final String kind;

    private Suspect(Model loaded, Model model, String kind) {
        this.loaded = loaded;
        this.model = model;
        this.kind = kind;
    }

    /** @param tokenizer tokenizer.bin for a llama2.c checkpoint, or null (looked up beside it) */
    public static Suspect open(Path path, Path tokenizer) {
        Model m = org.taylormlp.runtime.Models.load(path, tokenizer);
        try {
            return of(m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Wraps a loaded model (recovering it first when it is a release); closing the suspect closes {@code m}. */
    public static Suspect of(Model m) {
        if (ReleaseReader.info(m) != null) {
            ReleaseRecovery.Recovered r = ReleaseRecovery.recover(m);
            return new Suspect(m, r.model(), "release (weights recovered by the zero-query attack: " + (r.protectedNeurons() - r.unsolved())
                    + "/" + r.protectedNeurons() + " protected neurons)");
        }
        return new Suspect(m, m, m.format());
    }

    public Model model() { return model; }

    public String kind() { return kind; }

    @Override
    public void close() { loaded.close(); }
}
