package org.taylormlp.model;

import org.taylormlp.format.FileMapping;
import org.taylormlp.format.MappedFiles;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.tensor.Tensor;
import org.taylormlp.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded checkpoint: configuration, tensors under canonical names ({@link TensorNames}), tokenizer, and
 * free-form metadata (format, source file, release details). Tensors are views of memory-mapped files;
 * {@link #close()} unmaps them.
 */
public final class Model implements AutoCloseable {
    private final Path source;
    private final String format;
    private final ModelConfig config;
    private final Map<String, Tensor> tensors;
    private final Tokenizer tokenizer;
    private final Map<String, Object> metadata;
    private final List<AutoCloseable> resources;

    public Model(Path source, String format, ModelConfig config, Map<String, Tensor> tensors, Tokenizer tokenizer,
                 Map<String, Object> metadata, List<AutoCloseable> resources) {
        this.source = source;
        this.format = format;
        this.config = config;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.tokenizer = tokenizer;
        this.metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.resources = new ArrayList<>(resources);
    }

    public Path source() { return source; }
    public String format() { return format; }
    public ModelConfig config() { return config; }
    public Map<String, Tensor> tensors() { return tensors; }
    public Tokenizer tokenizer() { return tokenizer; }
    public Map<String, Object> metadata() { return metadata; }

    /** The tensor, or a ModelFormatException naming the file and the missing tensor. */
    public Tensor require(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new ModelFormatException(source, "missing tensor '" + name + "'");
        return t;
    }

    public Tensor optional(String name) { return tensors.get(name); }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : tensors.values()) n += t.size();
        return n;
    }

    /** The files whose mappings this model's tensors may be slices of. */
    public List<FileMapping> fileMappings() {
        List<FileMapping> out = new ArrayList<>();
        for (AutoCloseable r : resources) if (r instanceof MappedFiles s) out.addAll(s.fileMappings());
        return out;
    }

    /**
     * The same model with {@code replaced} tensors and one more metadata entry; the new model takes over this
     * one's resources plus {@code extra} (closed first), and closing this one afterwards does nothing.
     */
    public Model rehome(Map<String, Tensor> replaced, String key, Object value, AutoCloseable extra) {
        Map<String, Object> md = new LinkedHashMap<>(metadata);
        md.put(key, value);
        List<AutoCloseable> res = new ArrayList<>();
        res.add(extra);
        res.addAll(resources);
        resources.clear();
        return new Model(source, format, config, replaced, tokenizer, md, res);
    }

    @Override
    public void close() {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // closing a mapping cannot fail in a way the caller could act on
            }
        }
        resources.clear();
    }
}
