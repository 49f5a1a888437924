package org.taylormlp.format;

import org.taylormlp.TaylorMlpException;

import java.nio.file.Path;

/** A model, tokenizer or release file that cannot be read: the message names the file and the problem. */
public class ModelFormatException extends TaylorMlpException {
    private final transient Path file;

    public ModelFormatException(Path file, String problem) {
        super((file == null ? "<unknown file>" : file.toString()) + ": " + problem);
        this.file = file;
    }

    public ModelFormatException(Path file, String problem, Throwable cause) {
        super((file == null ? "<unknown file>" : file.toString()) + ": " + problem, cause);
        this.file = file;
    }

    public Path file() { return file; }
}
