package org.taylormlp.tokenizer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only reader of a GGUF file's metadata key/values (not the tensors), using the project's value
 * convention: integers as Long, floats as Double, strings, booleans, arrays as List.
 */
final class GgufMetadataReader {
    private final ByteBuffer b;

    private GgufMetadataReader(ByteBuffer b) { this.b = b; }

    static Map<String, Object> read(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != 0x46554747) throw new IOException("not GGUF: " + file);
        int version = b.getInt();
        if (version < 2) throw new IOException("GGUF version " + version);
        b.getLong(); // tensor count
        long kvCount = b.getLong();
        GgufMetadataReader r = new GgufMetadataReader(b);
        Map<String, Object> md = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string();
            md.put(key, r.value(b.getInt()));
        }
        return md;
    }

    private String string() {
        byte[] s = new byte[Math.toIntExact(b.getLong())];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private Object value(int type) {
        return switch (type) {
            case 0 -> (long) (b.get() & 0xFF);
            case 1 -> (long) b.get();
            case 2 -> (long) (b.getShort() & 0xFFFF);
            case 3 -> (long) b.getShort();
            case 4 -> b.getInt() & 0xFFFF_FFFFL;
            case 5 -> (long) b.getInt();
            case 6 -> (double) b.getFloat();
            case 7 -> b.get() != 0;
            case 8 -> string();
            case 9 -> {
                int elementType = b.getInt();
                long n = b.getLong();
                List<Object> list = new ArrayList<>();
                for (long i = 0; i < n; i++) list.add(value(elementType));
                yield list;
            }
            case 10, 11 -> b.getLong();
            case 12 -> b.getDouble();
            default -> throw new IllegalStateException("GGUF value type " + type);
        };
    }
}
