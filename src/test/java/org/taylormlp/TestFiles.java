package org.taylormlp;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locations of the shared test assets (../shared beside the repository). */
public final class TestFiles {
    private TestFiles() {}

    public static Path shared() {
        String override = System.getenv("TAYLORMLP_SHARED");
        Path p = override != null ? Path.of(override) : Path.of("..", "shared");
        if (!Files.isDirectory(p)) throw new IllegalStateException("shared assets not found at " + p.toAbsolutePath()
                + " (set TAYLORMLP_SHARED)");
        return p;
    }

    public static Path model(String rel) { return shared().resolve("models").resolve(rel); }

    public static Path data(String rel) { return shared().resolve("data").resolve(rel); }
}
