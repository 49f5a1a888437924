package org.taylormlp.taylor;

import org.taylormlp.format.ModelFormatException;

import java.nio.file.Path;

/**
 * A release that fails its integrity check: a tensor whose bytes do not match the digest recorded for it, metadata
 * that does not match its own digest, or a signature that is missing, from another key, or invalid.
 */
public final class ReleaseIntegrityException extends ModelFormatException {
    private final String tensor;

    public ReleaseIntegrityException(Path file, String tensor, String problem) {
        super(file, problem);
        this.tensor = tensor;
    }

    /** The damaged tensor's name, or null when the metadata or the signature failed. */
    public String tensor() { return tensor; }
}
