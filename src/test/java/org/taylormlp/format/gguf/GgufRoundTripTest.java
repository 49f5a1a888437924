package org.taylormlp.format.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    static byte[] bytes(Tensor t) {
        return t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void everyDtypeRoundTripsBitExactly(DType dt) throws IOException {
        int cols = Math.max(64, dt.blockSize()), n = dt.blockSize() > 32 ? dt.blockSize() : 96; // whole blocks (K-quants: 256)
        Tensor src = Quantize.quantize(Tensor.ofFloats("blk.0.w", randomFloats(3 * cols, dt.ordinal()), 3, cols), dt);
        Tensor vec = Quantize.quantize(Tensor.ofFloats("blk.0.v", randomFloats(n, 7), n), dt);
        Path p = dir.resolve(dt + ".gguf");
        new GgufWriter().addTensor(src).addTensor(vec).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            Tensor t = f.tensor("blk.0.w");
            assertThat(t.dtype()).isEqualTo(dt);
            assertThat(t.shape()).containsExactly(3, cols);
            assertThat(bytes(t)).isEqualTo(bytes(src));
            assertThat(bytes(f.tensor("blk.0.v"))).isEqualTo(bytes(vec));
            assertThat(t.toFloats()).containsExactly(src.toFloats());
            assertThat(f.tensors()).extracting(Tensor::name).containsExactly("blk.0.w", "blk.0.v");
        }
    }

    @Test
    void dimensionsAreStoredFastestFirstAndHigherRanksRoundTrip() throws IOException {
        Path p = dir.resolve("dims.gguf");
        new GgufWriter()
                .addTensor(Tensor.ofFloats("m", new float[3 * 5], 3, 5))
                .addTensor(Tensor.ofFloats("r4", new float[2 * 3 * 4 * 5], 2, 3, 4, 5))
                .addTensor(Tensor.ofFloats("scalar", new float[] {42f}))
                .write(p);
        byte[] b = Files.readAllBytes(p);
        // tensor info of "m": name, n_dims = 2, dims = [5, 3] (GGUF order), type 0, offset 0
        int at = indexOf(b, "m".getBytes(StandardCharsets.UTF_8), 24);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bb.getLong(at - 8)).isEqualTo(1); // name length
        assertThat(bb.getInt(at + 1)).isEqualTo(2);
        assertThat(bb.getLong(at + 5)).isEqualTo(5);
        assertThat(bb.getLong(at + 13)).isEqualTo(3);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.tensor("m").shape()).containsExactly(3, 5);
            assertThat(f.tensor("r4").shape()).containsExactly(2, 3, 4, 5);
            assertThat(f.tensor("scalar").shape()).containsExactly(1); // rank 0 is stored as [1]
            assertThat(f.tensor("scalar").get(0)).isEqualTo(42f);
        }
    }

    private static int indexOf(byte[] hay, byte[] n, int from) {
        outer:
        for (int i = from; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) if (hay[i + j] != n[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void metadataOfEveryTypeRoundTripsWithItsType() throws IOException {
        Path p = dir.resolve("meta.gguf");
        GgufArray nested = GgufArray.of(GgufType.ARRAY, List.of(
                GgufArray.of(GgufType.UINT8, List.of(1, 255)),
                GgufArray.of(GgufType.STRING, List.of("x", "ÿ€😀"))));
        new GgufWriter()
                .putUInt8("u8", 255)
                .putInt8("i8", -128)
                .putUInt16("u16", 65535)
                .putInt16("i16", -32768)
                .putUInt32("u32", 0xffff_ffffL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", -1L) // 2^64 - 1
                .putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 1e-5f)
                .putFloat64("f64", Math.PI)
                .putBool("t", true)
                .putBool("f", false)
                .putString("s", "héllo\u0000world")
                .putString("empty", "")
                .putStringArray("tokens", List.of("<unk>", "<s>", "▁the"))
                .putFloat32Array("scores", new float[] {0f, -1.5f, Float.NEGATIVE_INFINITY})
                .putInt32Array("types", new int[] {2, 3, 1})
                .putArray("empty_arr", GgufType.UINT32, List.of())
                .putArray("bools", GgufType.BOOL, List.of(true, false))
                .putArray("f64s", GgufType.FLOAT64, List.of(0.1, 2))
                .put("nested", nested)
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.metadata().keySet()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                    "f32", "f64", "t", "f", "s", "empty", "tokens", "scores", "types", "empty_arr", "bools", "f64s",
                    "nested");
            assertThat(f.get("u8")).isEqualTo(255L);
            assertThat(f.get("i8")).isEqualTo(-128L);
            assertThat(f.get("u16")).isEqualTo(65535L);
            assertThat(f.get("i16")).isEqualTo(-32768L);
            assertThat(f.get("u32")).isEqualTo(0xffff_ffffL);
            assertThat(f.get("i32")).isEqualTo((long) Integer.MIN_VALUE);
            assertThat(f.get("u64")).isEqualTo(-1L);
            assertThat(f.get("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(f.get("f32")).isEqualTo((double) 1e-5f);
            assertThat(f.get("f64")).isEqualTo(Math.PI);
            assertThat(f.get("t")).isEqualTo(true);
            assertThat(f.getBool("f", true)).isFalse();
            assertThat(f.getString("s")).isEqualTo("héllo\u0000world");
            assertThat(f.getString("empty")).isEmpty();
            assertThat(f.getStringArray("tokens")).containsExactly("<unk>", "<s>", "▁the");
            assertThat(f.getFloatArray("scores")).containsExactly(0f, -1.5f, Float.NEGATIVE_INFINITY);
            assertThat(f.getIntArray("types")).containsExactly(2, 3, 1);
            assertThat(f.getList("empty_arr")).isEmpty();
            assertThat(f.arrayElementType("empty_arr")).isEqualTo(GgufType.UINT32);
            assertThat(f.getList("bools")).containsExactly(true, false);
            assertThat(f.getList("f64s")).containsExactly(0.1, 2.0);
            assertThat(f.getList("nested")).isEqualTo(List.of(List.of(1L, 255L), List.of("x", "ÿ€😀")));
            assertThat(((GgufArray) f.getList("nested").get(1)).elementType()).isEqualTo(GgufType.STRING);
            assertThat(List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64")).extracting(f::type)
                    .containsExactly(GgufType.UINT8, GgufType.INT8, GgufType.UINT16, GgufType.INT16, GgufType.UINT32,
                            GgufType.INT32, GgufType.UINT64, GgufType.INT64, GgufType.FLOAT32, GgufType.FLOAT64);
            assertThat(f.type("t")).isEqualTo(GgufType.BOOL);
            assertThat(f.type("tokens")).isEqualTo(GgufType.ARRAY);
            assertThat(f.arrayElementType("scores")).isEqualTo(GgufType.FLOAT32);
            assertThat(f.arrayElementType("types")).isEqualTo(GgufType.INT32);
            assertThat(f.tensors()).isEmpty();

            // absent keys and wrong types
            assertThat(f.getString("nope")).isNull();
            assertThat(f.getLong("nope", 7)).isEqualTo(7);
            assertThat(f.getFloatArray("nope")).isNull();
            assertThat(f.getDouble("u8", 0)).isEqualTo(255.0);
            assertThatThrownBy(() -> f.getString("u32")).hasMessageContaining("'u32' is UINT32, expected a string");
            assertThatThrownBy(() -> f.getLong("s", 0)).hasMessageContaining("'s' is STRING, expected an integer");
            assertThatThrownBy(() -> f.getIntArray("u64")).hasMessageContaining("expected an array");
            assertThatThrownBy(() -> f.getStringArray("scores"))
                    .hasMessageContaining("'scores' is ARRAY of FLOAT32, expected an array of strings");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 4096})
    void alignmentOtherThan32IsHonored(int alignment) throws IOException {
        Path p = dir.resolve("align" + alignment + ".gguf");
        Tensor a = Tensor.ofFloats("a", randomFloats(5, 1), 5); // 20 bytes: needs padding for alignment > 4
        Tensor b = Quantize.quantize(Tensor.ofFloats("b", randomFloats(32, 2), 32), DType.Q8_0); // 34 bytes
        Tensor c = Tensor.ofFloats("c", randomFloats(3, 3), 3);
        new GgufWriter().putString("general.architecture", "llama").setAlignment(alignment)
                .addTensor(a).addTensor(b).addTensor(c).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.alignment()).isEqualTo(alignment);
            assertThat(f.type("general.alignment")).isEqualTo(GgufType.UINT32);
            assertThat(f.dataOffset() % alignment).isZero();
            long base = f.tensors().getFirst().data().address();
            long prevEnd = 0;
            for (Tensor t : f.tensors()) {
                long off = t.data().address() - base;
                assertThat(off % alignment).as(t.name()).isZero();
                // offsets are the running sum of sizes padded to the alignment (llama.cpp requires exactly this)
                assertThat(off).isEqualTo((prevEnd + alignment - 1) / alignment * alignment);
                prevEnd = off + t.byteSize();
            }
            assertThat(bytes(f.tensor("a"))).isEqualTo(bytes(a));
            assertThat(bytes(f.tensor("b"))).isEqualTo(bytes(b));
            assertThat(bytes(f.tensor("c"))).isEqualTo(bytes(c));
            assertThat(Files.size(p) % alignment).isZero();
        }
    }

    @Test
    void writerRejectsValuesLlamaCppCouldNotRead() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.putUInt32("x", -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("out of range for UINT32");
        assertThatThrownBy(() -> w.putUInt8("x", 256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.setAlignment(48)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> w.putInt32("general.alignment", 32)).hasMessageContaining("must be UINT32");
        assertThatThrownBy(() -> w.putArray("a", GgufType.INT8, List.of(1, 200))).hasMessageContaining("out of range");
        assertThatThrownBy(() -> w.putArray("a", GgufType.STRING, List.of("a", 1))).hasMessageContaining("not a valid STRING");
        assertThatThrownBy(() -> w.put("a", List.of())).hasMessageContaining("empty list");
        assertThatThrownBy(() -> w.put("a", new Object())).hasMessageContaining("cannot store");
        assertThatThrownBy(() -> w.addTensor(Tensor.ofFloats("x".repeat(64), new float[1], 1)))
                .hasMessageContaining("too long for llama.cpp");
        assertThatThrownBy(() -> w.addTensor(Tensor.ofFloats("r5", new float[1], 1, 1, 1, 1, 1))).hasMessageContaining("rank 5");
        Tensor q = Quantize.quantize(Tensor.ofFloats("q", new float[64], 64), DType.Q8_0);
        assertThatThrownBy(() -> w.addTensor(q.reshape(2, 32).reshape(64, 1).withName("q2")))
                .hasMessageContaining("multiple of 32");
        w.addTensor(Tensor.ofFloats("t", new float[1], 1));
        assertThatThrownBy(() -> w.addTensor(Tensor.ofFloats("t", new float[1], 1))).hasMessageContaining("duplicate");
    }

    @Test
    void inferredPutTypes() throws IOException {
        Path p = dir.resolve("infer.gguf");
        new GgufWriter().put("b", true).put("s", "x").put("f", 1.5f).put("d", 2.5).put("i", 3).put("l", 4L)
                .put("fa", new float[] {1f}).put("ia", new int[] {1}).put("sa", new String[] {"a"})
                .put("la", List.of(1L, 2L)).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(List.of("b", "s", "f", "d", "i", "l", "fa", "ia", "sa", "la")).extracting(f::type).containsExactly(
                    GgufType.BOOL, GgufType.STRING, GgufType.FLOAT32, GgufType.FLOAT64, GgufType.INT32, GgufType.INT64,
                    GgufType.ARRAY, GgufType.ARRAY, GgufType.ARRAY, GgufType.ARRAY);
            assertThat(f.arrayElementType("la")).isEqualTo(GgufType.INT64);
            assertThat(f.arrayElementType("sa")).isEqualTo(GgufType.STRING);
        }
    }

    @Test
    void failedWriteLeavesNoPartialFileAndKeepsTheOldOne() throws IOException {
        Path p = dir.resolve("model.gguf");
        new GgufWriter().putString("v", "old").write(p);
        byte[] old = Files.readAllBytes(p);

        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(4L * 64);
        Tensor doomed = new Tensor("doomed", DType.F32, new long[] {64}, seg);
        GgufWriter w = new GgufWriter().putString("v", "new").addTensor(Tensor.ofFloats("ok", new float[64], 64))
                .addTensor(doomed);
        arena.close(); // the second tensor's memory is gone: writing it fails half-way
        assertThatThrownBy(() -> w.write(p)).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readAllBytes(p)).isEqualTo(old);
        assertThat(dir.resolve("model.gguf.tmp")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.toList()).containsExactly(p);
        }
    }

    @Test
    void tensorsOfAClosedFileCannotBeRead() throws IOException {
        Path p = dir.resolve("closed.gguf");
        new GgufWriter().addTensor(Tensor.ofFloats("t", new float[] {1, 2}, 2)).write(p);
        GgufFile f = GgufFile.open(p);
        Tensor t = f.tensor("t");
        assertThat(t.get(1)).isEqualTo(2f);
        f.close();
        f.close(); // idempotent
        assertThatThrownBy(() -> t.get(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void largeVocabularyRoundTripsQuickly() throws IOException {
        int n = 150_000; // Qwen2-sized vocabulary
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = "tok" + i;
            scores[i] = -i;
            types[i] = i % 6;
        }
        Path p = dir.resolve("vocab.gguf");
        new GgufWriter().putStringArray("tokenizer.ggml.tokens", tokens).putFloat32Array("tokenizer.ggml.scores", scores)
                .putInt32Array("tokenizer.ggml.token_type", types).putStringArray("tokenizer.ggml.merges", tokens)
                .write(p);
        long t0 = System.nanoTime();
        try (GgufFile f = GgufFile.open(p)) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(ms).as("open time of a 150k-token vocabulary").isLessThan(5_000);
            assertThat(f.getStringArray("tokenizer.ggml.tokens")).isEqualTo(tokens);
            assertThat(f.getFloatArray("tokenizer.ggml.scores")).isEqualTo(scores);
            assertThat(f.getIntArray("tokenizer.ggml.token_type")).isEqualTo(types);
        }
    }

    @Test
    void version2FilesAreRead() throws IOException {
        Path p = new RawGguf().header(2, 1, 1).kvU32("general.alignment", 16)
                .tensorInfo("w", new long[] {2}, 0, 0).padTo(16).f32(1.5f).f32(-2f).write(dir, "v2.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.alignment()).isEqualTo(16);
            assertThat(f.tensor("w").toFloats()).containsExactly(1.5f, -2f);
        }
    }
}
