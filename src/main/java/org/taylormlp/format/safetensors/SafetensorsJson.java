package org.taylormlp.format.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.format.ModelFormatException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * JSON parsing for safetensors headers and index files, hardened against hostile input: nesting depth capped
 * (no StackOverflowError), duplicate keys rejected, trailing garbage rejected, invalid UTF-8 rejected, and
 * string / number lengths bounded.
 */
final class SafetensorsJson {
    static final int MAX_NESTING_DEPTH = 64;

    static final ObjectMapper MAPPER;

    static {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxNumberLength(100)
                        .maxStringLength(100_000_000)
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        MAPPER = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** Bits per element of every dtype in the safetensors spec. */
    static final Map<String, Integer> DTYPE_BITS = Map.ofEntries(
            Map.entry("BOOL", 8), Map.entry("U8", 8), Map.entry("I8", 8),
            Map.entry("F8_E5M2", 8), Map.entry("F8_E4M3", 8), Map.entry("F8_E8M0", 8),
            Map.entry("I16", 16), Map.entry("U16", 16), Map.entry("F16", 16), Map.entry("BF16", 16),
            Map.entry("I32", 32), Map.entry("U32", 32), Map.entry("F32", 32),
            Map.entry("I64", 64), Map.entry("U64", 64), Map.entry("F64", 64), Map.entry("C64", 64),
            Map.entry("F4", 4), Map.entry("F6_E2M3", 6), Map.entry("F6_E3M2", 6));

    private SafetensorsJson() {}

    /** Parses {@code bytes} as one JSON object; anything else is a ModelFormatException naming {@code file}. */
    static JsonNode parseObject(Path file, byte[] bytes, String what) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw new ModelFormatException(file, what + " is not valid JSON: " + firstLine(e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file, what + " must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        return root;
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
