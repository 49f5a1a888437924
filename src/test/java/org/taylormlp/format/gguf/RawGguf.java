package org.taylormlp.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes GGUF bytes field by field, so tests can craft exactly the (in)valid structure they need. */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    RawGguf u8(int v) { out.write(v); return this; }
    RawGguf u16(int v) { return u8(v).u8(v >>> 8); }
    RawGguf u32(long v) { for (int i = 0; i < 4; i++) out.write((int) (v >>> (8 * i))); return this; }
    RawGguf u64(long v) { for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i))); return this; }
    RawGguf f32(float v) { return u32(Float.floatToRawIntBits(v)); }

    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(b.length);
        out.writeBytes(b);
        return this;
    }

    RawGguf header(long version, long nTensors, long nKv) {
        out.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        return u32(version).u64(nTensors).u64(nKv);
    }

    RawGguf kvU32(String key, long v) { return str(key).u32(GgufType.UINT32.id()).u32(v); }
    RawGguf kvString(String key, String v) { return str(key).u32(GgufType.STRING.id()).str(v); }

    /** A tensor info with dims given fastest-first, as stored. */
    RawGguf tensorInfo(String name, long[] ne, long type, long offset) {
        str(name).u32(ne.length);
        for (long d : ne) u64(d);
        return u32(type).u64(offset);
    }

    RawGguf padTo(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
        return this;
    }

    RawGguf zeros(int n) { out.writeBytes(new byte[n]); return this; }

    int size() { return out.size(); }

    byte[] bytes() { return out.toByteArray(); }

    Path write(Path dir, String name) throws IOException {
        return Files.write(dir.resolve(name), bytes());
    }
}
