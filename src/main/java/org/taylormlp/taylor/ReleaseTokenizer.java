package org.taylormlp.taylor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.model.Model;
import org.taylormlp.model.TokenizerSource;
import org.taylormlp.tokenizer.HfTokenizer;
import org.taylormlp.tokenizer.ScoreBpeTokenizer;
import org.taylormlp.tokenizer.Tokenizer;
import org.taylormlp.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embeds a model's tokenizer in a release (the {@code tokenizer} metadata entry, JSON) and rebuilds it:
 * <ul>
 *   <li>{@code {"kind":"llama2c","tokenizer_bin_base64":...}}: the llama2.c tokenizer.bin bytes;</li>
 *   <li>{@code {"kind":"gguf","metadata":{...}}}: the GGUF {@code tokenizer.*} metadata (arrays as JSON arrays);</li>
 *   <li>{@code {"kind":"hf","tokenizer_json":...,"tokenizer_config_json":...}}: the HF files' text.</li>
 * </ul>
 */
public final class ReleaseTokenizer {
    private ReleaseTokenizer() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    public static String toJson(Model m) {
        TokenizerSource src = TokenizerSource.of(m);
        if (src == null) throw new ModelFormatException(m.source(), "model has no recorded tokenizer source");
        ObjectNode o = JSON.createObjectNode();
        try {
            switch (src) {
                case TokenizerSource.Llama2c l -> {
                    o.put("kind", "llama2c");
                    o.put("tokenizer_bin_base64", Base64.getEncoder().encodeToString(Files.readAllBytes(l.tokenizerBin())));
                }
                case TokenizerSource.Gguf g -> {
                    o.put("kind", "gguf");
                    o.set("metadata", JSON.valueToTree(g.metadata()));
                }
                case TokenizerSource.HfFolder h -> {
                    o.put("kind", "hf");
                    o.put("tokenizer_json", Files.readString(h.dir().resolve("tokenizer.json")));
                    for (String f : List.of("tokenizer_config.json", "config.json", "generation_config.json")) {
                        if (Files.isRegularFile(h.dir().resolve(f))) o.put(f.replace('.', '_'), Files.readString(h.dir().resolve(f)));
                    }
                }
            }
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new ModelFormatException(m.source(), "cannot read tokenizer: " + e.getMessage(), e);
        }
    }

    /** Rebuilds the tokenizer stored in a release. */
    public static Tokenizer fromJson(String json, Path release, int vocabSize) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelFormatException(release, "tokenizer metadata is not valid JSON: " + e.getMessage());
        }
        String kind = o.path("kind").asText("");
        try {
            switch (kind) {
                case "llama2c" -> {
                    byte[] bytes = Base64.getDecoder().decode(o.path("tokenizer_bin_base64").asText(""));
                    Path tmp = Files.createTempFile("taylormlp-tok", ".bin");
                    try {
                        Files.write(tmp, bytes);
                        return ScoreBpeTokenizer.fromLlama2c(tmp, vocabSize);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                }
                case "gguf" -> {
                    Map<String, Object> md = new LinkedHashMap<>();
                    Iterator<Map.Entry<String, JsonNode>> it = o.path("metadata").fields();
                    while (it.hasNext()) {
                        Map.Entry<String, JsonNode> e = it.next();
                        md.put(e.getKey(), ggufValue(e.getValue()));
                    }
                    return Tokenizers.fromGgufMetadata(md, release);
                }
                case "hf" -> {
                    Path dir = Files.createTempDirectory("taylormlp-tok");
                    try {
                        write(dir, "tokenizer.json", o.path("tokenizer_json").asText(null), release);
                        for (String f : List.of("tokenizer_config.json", "config.json", "generation_config.json")) {
                            JsonNode v = o.get(f.replace('.', '_'));
                            if (v != null && v.isTextual()) write(dir, f, v.asText(), release);
                        }
                        return HfTokenizer.load(dir);
                    } finally {
                        try (var s = Files.list(dir)) {
                            for (Path p : (Iterable<Path>) s::iterator) Files.deleteIfExists(p);
                        }
                        Files.deleteIfExists(dir);
                    }
                }
                default -> throw new ModelFormatException(release, "unknown tokenizer kind '" + kind + "' in release metadata");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFormatException(release, "cannot rebuild the embedded tokenizer: " + e.getMessage(), e);
        }
    }

    private static void write(Path dir, String name, String text, Path release) throws IOException {
        if (text == null) throw new ModelFormatException(release, "tokenizer metadata lacks " + name);
        Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    /** JSON → the GGUF metadata value convention (integers Long, reals Double, arrays List). */
    private static Object ggufValue(JsonNode n) {
        if (n.isArray()) {
            List<Object> l = new ArrayList<>(n.size());
            for (JsonNode e : n) l.add(ggufValue(e));
            return l;
        }
        if (n.isIntegralNumber()) return n.asLong();
        if (n.isNumber()) return n.asDouble();
        if (n.isBoolean()) return n.asBoolean();
        return n.asText();
    }
}
