package org.taylormlp.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import org.taylormlp.format.FileMapping;
import org.taylormlp.format.MappedFiles;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a Hugging Face style model folder: either a single {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} ({@code {"metadata": {...}, "weight_map": {tensor: shard file}}}),
 * exposed as one set of tensors.
 *
 * <p>Validation on {@link #open}: the index is a JSON object (≤ 100 MB) with a {@code weight_map} of strings; each
 * shard name must be a plain file name inside the folder (no separators, no {@code ..}, not absolute; shards
 * may be symbolic links, as in the Hugging Face cache); every listed shard must exist and be a valid safetensors
 * file; every tensor in the map must be in the shard it names, and every tensor of a shard must be listed for
 * that shard. All failures are {@link ModelFormatException}s naming the offending file.
 */
public final class SafetensorsFolder implements AutoCloseable, MappedFiles {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    static final long MAX_INDEX_BYTES = 100_000_000L;

    private final Path dir;
    private final Map<String, SafetensorsFile> shards; // file name -> open shard
    private final Map<String, SafetensorsFile> byTensor; // tensor name -> its shard, in index order
    private final Map<String, Object> indexMetadata;
    private final boolean sharded;

    private SafetensorsFolder(Path dir, boolean sharded, Map<String, SafetensorsFile> shards,
                              Map<String, SafetensorsFile> byTensor, Map<String, Object> indexMetadata) {
        this.dir = dir;
        this.sharded = sharded;
        this.shards = shards;
        this.byTensor = byTensor;
        this.indexMetadata = indexMetadata;
    }

    /**
     * Opens the safetensors weights of folder {@code path} (index first, then {@code model.safetensors}); if
     * {@code path} is a regular file, opens it alone.
     *
     * @throws ModelFormatException if the folder holds no weights or any file is invalid
     * @throws IOException          on I/O errors
     */
    public static SafetensorsFolder open(Path path) throws IOException {
        if (Files.isRegularFile(path)) return single(path.toAbsolutePath().getParent(), path);
        if (!Files.isDirectory(path)) throw new ModelFormatException(path, "no such file or folder");
        Path index = path.resolve(INDEX_FILE);
        if (Files.exists(index)) return sharded(path, index);
        Path single = path.resolve(SINGLE_FILE);
        if (Files.exists(single)) return single(path, single);
        throw new ModelFormatException(path, "folder holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }

    private static SafetensorsFolder single(Path dir, Path file) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(file);
        LinkedHashMap<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        for (String name : f.tensorNames()) byTensor.put(name, f);
        return new SafetensorsFolder(dir, false, Map.of(String.valueOf(file.getFileName()), f), byTensor, Map.of());
    }

    private static SafetensorsFolder sharded(Path dir, Path index) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) {
            throw new ModelFormatException(index, "index is " + size + " bytes, more than the limit of " + MAX_INDEX_BYTES);
        }
        JsonNode root = SafetensorsJson.parseObject(index, Files.readAllBytes(index), "index");
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new ModelFormatException(index, "index has no 'weight_map' object");
        JsonNode md = root.get("metadata");
        if (md != null && !md.isNull() && !md.isObject()) {
            throw new ModelFormatException(index, "index 'metadata' is not an object");
        }

        // validate every shard name before touching any file
        LinkedHashMap<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : wm.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(index, "weight_map entry for '" + e.getKey() + "' is not a file name");
            }
            String shard = e.getValue().textValue();
            checkShardName(index, shard);
            map.put(e.getKey(), shard);
        }

        LinkedHashMap<String, SafetensorsFile> shards = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (String shard : map.values()) {
                if (shards.containsKey(shard)) continue;
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw new ModelFormatException(index, "shard '" + shard + "' listed in the index is missing from " + dir);
                }
                shards.put(shard, SafetensorsFile.open(p));
            }
            LinkedHashMap<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : map.entrySet()) {
                SafetensorsFile f = shards.get(e.getValue());
                if (!f.contains(e.getKey())) {
                    throw new ModelFormatException(index, "tensor '" + e.getKey() + "' is mapped to shard '" + e.getValue()
                            + "', which does not contain it");
                }
                byTensor.put(e.getKey(), f);
            }
            for (Map.Entry<String, SafetensorsFile> s : shards.entrySet()) {
                for (String name : s.getValue().tensorNames()) {
                    if (byTensor.get(name) != s.getValue()) {
                        throw new ModelFormatException(index, "tensor '" + name + "' of shard '" + s.getKey()
                                + "' is not listed for that shard in the weight_map");
                    }
                }
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> meta = md == null || md.isNull() ? Map.of()
                    : Collections.unmodifiableMap(SafetensorsJson.MAPPER.convertValue(md, LinkedHashMap.class));
            SafetensorsFolder folder = new SafetensorsFolder(dir, true, Collections.unmodifiableMap(shards), byTensor, meta);
            ok = true;
            return folder;
        } finally {
            if (!ok) shards.values().forEach(SafetensorsFile::close);
        }
    }

    /** A shard must be a plain file name: no separators, no "." or "..", not absolute, no NUL. */
    static void checkShardName(Path index, String shard) {
        boolean bad = shard.isEmpty() || shard.equals(".") || shard.equals("..") || shard.indexOf('/') >= 0
                || shard.indexOf('\\') >= 0 || shard.indexOf('\0') >= 0 || shard.indexOf(':') >= 0;
        if (!bad) {
            Path p = Path.of(shard);
            bad = p.isAbsolute() || p.getNameCount() != 1 || !p.getFileName().toString().equals(shard);
        }
        if (bad) {
            throw new ModelFormatException(index, "shard name '" + shard + "' is not a plain file name inside the folder"
                    + " (path traversal rejected)");
        }
    }

    public Path dir() { return dir; }

    /** True if the weights come from an index and shards. */
    public boolean sharded() { return sharded; }

    /** The open files (shard file name → file). */
    public Map<String, SafetensorsFile> files() { return shards; }

    @Override
    public List<FileMapping> fileMappings() { return List.copyOf(shards.values()); }

    /** The index's {@code metadata} object (e.g. {@code total_size}); empty for a single file. */
    public Map<String, Object> indexMetadata() { return indexMetadata; }

    /** The {@code __metadata__} of the first file (HF writes the same in every shard). */
    public Map<String, String> metadata() {
        return shards.isEmpty() ? Map.of() : shards.values().iterator().next().metadata();
    }

    /** All tensor names (any dtype), in index / header order. */
    public List<String> tensorNames() { return List.copyOf(byTensor.keySet()); }

    /** The tensor {@code name} from whichever shard holds it, or null; unsupported dtypes throw. */
    public Tensor tensor(String name) {
        SafetensorsFile f = byTensor.get(name);
        return f == null ? null : f.tensor(name);
    }

    /** All tensors, in index order; throws ModelFormatException if any has an unsupported dtype. */
    public List<Tensor> tensors() {
        List<Tensor> out = new ArrayList<>(byTensor.size());
        for (String name : byTensor.keySet()) out.add(tensor(name));
        return Collections.unmodifiableList(out);
    }

    @Override
    public void close() {
        shards.values().forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "SafetensorsFolder[" + dir + ", " + shards.size() + " file(s), " + byTensor.size() + " tensors]";
    }
}
