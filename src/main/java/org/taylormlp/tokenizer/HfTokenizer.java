package org.taylormlp.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.format.ModelFormatException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} run by DJL's binding of the Rust {@code tokenizers} library, for
 * models loaded from a Hugging Face folder (safetensors).
 *
 * <p>Encoding is done by the library, with truncation and padding off (DJL would otherwise cut at 512
 * tokens). {@code addBos} switches the post-processor's special tokens on ({@code add_special_tokens}) and
 * makes sure the sequence starts with BOS if the model has one. Added tokens written in the text are always
 * split out (the library's behaviour), so {@code parseSpecial} is not honoured separately.
 *
 * <p>Decoding for streaming ({@link #tokenBytes}) works from the vocabulary pieces, chosen by the
 * tokenizer's {@code decoder}: byte-level ('Ġ' alphabet), SentencePiece-like ('▁' for space, {@code <0xNN>}
 * byte fallback, leading space stripped at the start and after BOS) or WordPiece ({@code ##} continuations);
 * other decoders fall back to the library's decode of the single id. Special added tokens decode to nothing.
 *
 * <p>BOS, EOS, {@code add_bos_token} and the chat template come from {@code tokenizer_config.json} when
 * present, ids also from {@code config.json}; failing both, BOS is the special token the post-processor puts
 * in front of a text, if any. {@code generation_config.json}'s {@code eos_token_id}s and well-known
 * end-of-turn tokens also end generation.
 *
 * <p>Holds a native tokenizer: {@link #close()} frees it (the garbage collector does too, eventually).
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    /** How pieces turn into bytes. */
    enum DecodeMode { BYTE_LEVEL, METASPACE, WORDPIECE, LIBRARY }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HuggingFaceTokenizer hf;
    private final Path file;
    /** The bytes of tokenizer.json as loaded (the file may be gone, e.g. a release's temporary copy). */
    private final byte[] tokenizerJsonBytes;
    private final String[] pieces;
    private final boolean[] special;
    private final boolean[] added;
    private final DecodeMode mode;
    private final boolean byteFallback;
    private final boolean stripLeadingSpace;
    private final String continuingPrefix;
    private final Map<String, Integer> ids;
    private final int bos;
    private final int eos;
    private final boolean addBos;
    private final Set<Integer> endOfGeneration;
    private final String chatTemplate;

    private HfTokenizer(HuggingFaceTokenizer hf, Path file, byte[] tokenizerJsonBytes, JsonNode tokenizerJson, JsonNode config,
                        JsonNode modelConfig, JsonNode generationConfig) {
        this.hf = hf;
        this.file = file;
        this.tokenizerJsonBytes = tokenizerJsonBytes;

        // ---- vocabulary: model vocab plus added tokens
        Map<String, Integer> vocab = new HashMap<>();
        JsonNode model = tokenizerJson.path("model");
        JsonNode v = model.path("vocab");
        if (v.isObject()) {
            v.properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt(-1)));
        } else if (v.isArray()) { // Unigram: [[piece, score], ...] indexed by id
            for (int i = 0; i < v.size(); i++) vocab.put(v.get(i).path(0).asText(), i);
        }
        Map<Integer, JsonNode> addedTokens = new HashMap<>();
        for (JsonNode a : tokenizerJson.path("added_tokens")) {
            addedTokens.put(a.path("id").asInt(-1), a);
        }
        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (int id : addedTokens.keySet()) size = Math.max(size, id + 1);
        if (size == 0) throw new ModelFormatException(file, "tokenizer.json has an empty vocabulary");
        pieces = new String[size];
        special = new boolean[size];
        added = new boolean[size];
        vocab.forEach((piece, id) -> {
            if (id < 0) throw new ModelFormatException(file, "negative id for piece '" + piece + "'");
            pieces[id] = piece;
        });
        ids = new HashMap<>(vocab);
        addedTokens.forEach((id, a) -> {
            if (id < 0) throw new ModelFormatException(file, "added token without a valid id: " + a);
            pieces[id] = a.path("content").asText();
            special[id] = a.path("special").asBoolean(false);
            added[id] = true;
            ids.put(pieces[id], id);
        });

        // ---- decoder
        JsonNode decoder = tokenizerJson.path("decoder");
        List<JsonNode> steps = new ArrayList<>();
        if ("Sequence".equals(decoder.path("type").asText())) decoder.path("decoders").forEach(steps::add);
        else if (!decoder.isMissingNode() && !decoder.isNull()) steps.add(decoder);
        DecodeMode m = null;
        boolean fallback = model.path("byte_fallback").asBoolean(false);
        boolean strip = false;
        String prefix = "##";
        for (JsonNode step : steps) {
            switch (step.path("type").asText()) {
                case "ByteLevel" -> m = DecodeMode.BYTE_LEVEL;
                case "Metaspace" -> {
                    m = DecodeMode.METASPACE;
                    String scheme = step.path("prepend_scheme").asText("");
                    strip |= step.path("add_prefix_space").asBoolean(false) || scheme.equals("always")
                            || scheme.equals("first");
                }
                case "Replace" -> {
                    if ("\u2581".equals(step.path("pattern").path("String").asText(null))
                            && " ".equals(step.path("content").asText(null))) {
                        m = DecodeMode.METASPACE;
                    }
                }
                case "ByteFallback" -> fallback = true;
                case "Strip" -> strip |= step.path("start").asInt(0) > 0;
                case "WordPiece" -> {
                    m = DecodeMode.WORDPIECE;
                    prefix = step.path("prefix").asText("##");
                }
                default -> { /* Fuse and friends do not change the bytes */ }
            }
        }
        if (m == null) {
            String pre = tokenizerJson.path("pre_tokenizer").path("type").asText("");
            if (pre.equals("ByteLevel")) m = DecodeMode.BYTE_LEVEL;
            else if (model.path("type").asText("").equals("WordPiece")) m = DecodeMode.WORDPIECE;
            else m = DecodeMode.LIBRARY;
        }
        mode = m;
        byteFallback = fallback;
        stripLeadingSpace = strip;
        continuingPrefix = prefix;

        // ---- special ids and chat settings
        int b = idOf(config.path("bos_token"));
        if (b < 0) b = firstInt(modelConfig.path("bos_token_id"));
        int e = idOf(config.path("eos_token"));
        if (e < 0) e = firstInt(modelConfig.path("eos_token_id"));
        if (b < 0) b = bosAddedByPostProcessor(hf, special);
        bos = b >= 0 && b < size ? b : -1;
        eos = e >= 0 && e < size ? e : -1;
        Set<Integer> eog = new LinkedHashSet<>();
        if (eos >= 0) eog.add(eos);
        for (JsonNode n : List.of(modelConfig.path("eos_token_id"), generationConfig.path("eos_token_id"))) {
            if (n.isInt()) eog.add(n.asInt());
            else n.forEach(x -> eog.add(x.asInt()));
        }
        for (int id = 0; id < size; id++) {
            if (special[id] && Tokenizers.isEndOfTurnName(pieces[id])) eog.add(id);
        }
        endOfGeneration = Set.copyOf(eog);
        JsonNode template = config.path("chat_template");
        String t = null;
        if (template.isTextual()) {
            t = template.asText();
        } else if (template.isArray()) { // [{name, template}, ...]: prefer "default"
            for (JsonNode named : template) {
                if (t == null || "default".equals(named.path("name").asText())) t = named.path("template").asText(null);
            }
        }
        chatTemplate = t;
        JsonNode addBosNode = config.path("add_bos_token");
        addBos = bos >= 0 && (addBosNode.isBoolean() ? addBosNode.asBoolean() : postProcessorAddsBos());
    }

    /**
     * Loads {@code modelDir/tokenizer.json} (required) and {@code tokenizer_config.json},
     * {@code config.json}, {@code generation_config.json} (optional).
     *
     * @throws ModelFormatException if {@code tokenizer.json} is missing or any of the files cannot be parsed
     */
    public static HfTokenizer load(Path modelDir) {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, "missing: a Hugging Face model folder needs tokenizer.json");
        }
        byte[] bytes;
        JsonNode tokenizerJson;
        try {
            bytes = Files.readAllBytes(file);
            tokenizerJson = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read tokenizer.json: " + e.getMessage(), e);
        }
        if (tokenizerJson == null || !tokenizerJson.isObject()) {
            throw new ModelFormatException(file, "tokenizer.json is not a JSON object");
        }
        JsonNode config = optionalJson(modelDir.resolve("tokenizer_config.json"));
        JsonNode modelConfig = optionalJson(modelDir.resolve("config.json"));
        JsonNode generationConfig = optionalJson(modelDir.resolve("generation_config.json"));
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes),
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file, "the tokenizers library rejected tokenizer.json: " + e.getMessage(), e);
        }
        try {
            return new HfTokenizer(hf, file, bytes, tokenizerJson, config, modelConfig, generationConfig);
        } catch (RuntimeException e) {
            hf.close();
            throw e;
        }
    }

    private static JsonNode optionalJson(Path p) {
        if (!Files.isRegularFile(p)) return JSON.missingNode();
        try {
            JsonNode n = JSON.readTree(p.toFile());
            return n == null ? JSON.missingNode() : n;
        } catch (IOException e) {
            throw new ModelFormatException(p, "cannot parse JSON: " + e.getMessage(), e);
        }
    }

    /** Id of a token given as {@code "text"} or {@code {"content": "text"}}, else -1. */
    private int idOf(JsonNode token) {
        String text = token.isTextual() ? token.asText() : token.path("content").asText(null);
        if (text == null) return -1;
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    private static int firstInt(JsonNode n) {
        if (n.isInt()) return n.asInt();
        if (n.isArray() && !n.isEmpty() && n.get(0).isInt()) return n.get(0).asInt();
        return -1;
    }

    /** The special token the post-processor puts in front of a text (a TemplateProcessing BOS), else -1. */
    private static int bosAddedByPostProcessor(HuggingFaceTokenizer hf, boolean[] special) {
        long[] with = hf.encode("a", true, false).getIds();
        long[] without = hf.encode("a", false, false).getIds();
        if (with.length == without.length + 1 && with.length > 0) {
            long first = with[0];
            if (first >= 0 && first < special.length && special[(int) first]) return (int) first;
        }
        return -1;
    }

    private boolean postProcessorAddsBos() {
        long[] withSpecial = hf.encode("a", true, false).getIds();
        return withSpecial.length > 0 && withSpecial[0] == bos;
    }

    // ------------------------------------------------------------------------------------------ encoding

    @Override
    public int[] encode(String text, boolean addBos) {
        Encoding enc = hf.encode(text, addBos, false);
        long[] raw = enc.getIds();
        boolean prepend = addBos && bos >= 0 && (raw.length == 0 || raw[0] != bos);
        int[] out = new int[raw.length + (prepend ? 1 : 0)];
        int k = 0;
        if (prepend) out[k++] = bos;
        for (long id : raw) out[k++] = Math.toIntExact(id);
        return out;
    }

    // ------------------------------------------------------------------------------------------ decoding

    @Override
    public byte[] tokenBytes(int previous, int id) {
        if (id < 0 || id >= pieces.length || special[id]) return new byte[0];
        String piece = pieces[id];
        if (piece == null) return new byte[0]; // a hole in the id range
        if (added[id]) return piece.getBytes(StandardCharsets.UTF_8);
        boolean atStart = previous < 0 || previous == bos;
        return switch (mode) {
            case BYTE_LEVEL -> GptByteMap.decode(piece);
            case METASPACE -> {
                int b = byteFallback ? ScoreBpeTokenizer.parseByteToken(piece.getBytes(StandardCharsets.US_ASCII)) : -1;
                if (b >= 0 && piece.length() == 6) yield new byte[] {(byte) b};
                String text = piece.replace('\u2581', ' ');
                if (stripLeadingSpace && atStart && text.startsWith(" ")) text = text.substring(1);
                yield text.getBytes(StandardCharsets.UTF_8);
            }
            case WORDPIECE -> {
                if (piece.startsWith(continuingPrefix)) {
                    yield piece.substring(continuingPrefix.length()).getBytes(StandardCharsets.UTF_8);
                }
                boolean afterSpecial = previous >= 0 && previous < special.length && special[previous];
                yield ((atStart || afterSpecial ? "" : " ") + piece).getBytes(StandardCharsets.UTF_8);
            }
            case LIBRARY -> hf.decode(new long[] {id}, false).getBytes(StandardCharsets.UTF_8);
        };
    }

    /** The id of a piece or added token with exactly this text, or -1. */
    public int tokenId(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }

    /** The piece (or added token content) of {@code id}, null for unused ids. */
    public String piece(int id) { return pieces[id]; }

    /** Decodes with the library (the reference for {@link #tokenBytes}); special tokens skipped. */
    public String libraryDecode(int[] tokenIds) {
        long[] l = new long[tokenIds.length];
        for (int i = 0; i < l.length; i++) l[i] = tokenIds[i];
        return hf.decode(l, true);
    }

    DecodeMode decodeMode() { return mode; }

    /** The tokenizer.json this was loaded from. */
    public Path file() { return file; }

    /** The content of tokenizer.json as it was loaded (a copy), readable after the file is gone. */
    public byte[] tokenizerJsonBytes() { return tokenizerJsonBytes.clone(); }

    @Override
    public int vocabSize() { return pieces.length; }

    @Override
    public int bosId() { return bos; }

    @Override
    public int eosId() { return eos; }

    @Override
    public boolean addBosByDefault() { return addBos; }

    @Override
    public boolean isEndOfGeneration(int id) { return endOfGeneration.contains(id); }

    @Override
    public String chatTemplate() { return chatTemplate; }

    @Override
    public void close() { hf.close(); }
}
