package org.taylormlp.format.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Reads the real stories260K GGUF (written by llama.cpp's converter) and cross-checks it with the llama2.c file. */
class GgufRealFileTest {
    // the test assets' files (each test is skipped, naming the file, without them)
    Path GGUF, BIN;

    @org.junit.jupiter.api.BeforeEach
    void assets() {
        GGUF = org.taylormlp.TestFiles.model("stories260K-gguf/stories260K.gguf");
        BIN = org.taylormlp.TestFiles.model("stories260K/stories260K.bin");
    }

    @TempDir
    Path dir;

    /** The 7 int32 fields of the llama2.c header: dim, hidden, layers, heads, kv_heads, vocab, seq_len. */
    private int[] llama2cHeader() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(BIN)).order(ByteOrder.LITTLE_ENDIAN);
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = b.getInt();
        return h;
    }

    @Test
    void headerMetadataAndShapesMatchTheLlama2cCheckpoint() throws IOException {
        int[] h = llama2cHeader();
        assertThat(new int[] {h[0], h[1], h[2], h[3], h[4], Math.abs(h[5])}).containsExactly(64, 172, 5, 8, 4, 512);
        try (GgufFile f = GgufFile.open(GGUF)) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.alignment()).isEqualTo(32);
            assertThat(f.dataOffset() % 32).isZero();
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
            assertThat(f.type("llama.embedding_length")).isEqualTo(GgufType.UINT32);
            assertThat(f.getLong("llama.embedding_length", -1)).isEqualTo(h[0]);
            assertThat(f.getLong("llama.feed_forward_length", -1)).isEqualTo(h[1]);
            assertThat(f.getLong("llama.block_count", -1)).isEqualTo(h[2]);
            assertThat(f.getLong("llama.attention.head_count", -1)).isEqualTo(h[3]);
            assertThat(f.getLong("llama.attention.head_count_kv", -1)).isEqualTo(h[4]);
            assertThat(f.getLong("llama.context_length", -1)).isEqualTo(2048);
            assertThat(f.has("llama.rope.freq_base")).isFalse();
            assertThat(f.getDouble("llama.rope.freq_base", 10000.0)).isEqualTo(10000.0);
            assertThat(f.getDouble("llama.attention.layer_norm_rms_epsilon", 0)).isBetween(1e-6, 1e-4);

            String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
            assertThat(tokens).hasSize(512);
            assertThat(f.arrayElementType("tokenizer.ggml.tokens")).isEqualTo(GgufType.STRING);
            assertThat(f.getFloatArray("tokenizer.ggml.scores")).hasSize(512);
            assertThat(f.getIntArray("tokenizer.ggml.token_type")).hasSize(512);
            assertThat(f.getString("tokenizer.ggml.model")).isEqualTo("llama");

            Tensor emb = f.tensor("token_embd.weight");
            assertThat(emb.dtype()).isEqualTo(DType.F32);
            assertThat(emb.shape()).containsExactly(512, 64); // GGUF [64, 512] reversed: [vocab, dim]
            assertThat(f.tensor("blk.0.ffn_gate.weight").shape()).containsExactly(172, 64); // [hidden, dim]
            assertThat(f.tensor("blk.0.ffn_down.weight").shape()).containsExactly(64, 172); // [dim, hidden]
            assertThat(f.tensor("blk.0.attn_k.weight").shape()).containsExactly(32, 64); // kv_heads*head_size x dim
            assertThat(f.tensor("output_norm.weight").shape()).containsExactly(64);
            assertThat(f.tensor("no.such.tensor")).isNull();
            assertThat(f.tensors()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(DType.F32));
        }
    }

    @Test
    void tokenEmbeddingRowsAreTheLlama2cEmbeddingRows() throws IOException {
        // llama2.c stores token_embedding_table as [vocab][dim] right after the 28-byte header: row-major
        // reading of the reversed GGUF shape must give exactly the same bytes
        byte[] bin = Files.readAllBytes(BIN);
        try (GgufFile f = GgufFile.open(GGUF)) {
            Tensor emb = f.tensor("token_embd.weight");
            ByteBuffer b = ByteBuffer.wrap(bin, 28, 512 * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
            float[] row = new float[64];
            for (int tok : new int[] {0, 1, 2, 100, 511}) {
                emb.readRow(tok, row);
                for (int i = 0; i < 64; i++) {
                    assertThat(Float.floatToRawIntBits(row[i]))
                            .isEqualTo(Float.floatToRawIntBits(b.getFloat(28 + (tok * 64 + i) * 4)));
                }
            }
        }
    }

    @Test
    void rewritingTheRealFileReproducesItByteForByte() throws IOException {
        // metadata with original types, tensors in original order: the writer must produce what llama.cpp's
        // own writer produced, which is the strongest check of spec compliance available offline
        Path out = dir.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(GGUF)) {
            GgufWriter w = new GgufWriter().putAll(f);
            f.tensors().forEach(w::addTensor);
            w.write(out);
        }
        byte[] original = Files.readAllBytes(GGUF);
        byte[] copy = Files.readAllBytes(out);
        assertThat(copy.length).isEqualTo(original.length);
        assertThat(copy).isEqualTo(original);
        try (GgufFile a = GgufFile.open(GGUF); GgufFile b = GgufFile.open(out)) {
            assertThat(b.metadata()).isEqualTo(a.metadata());
            List<String> types = new ArrayList<>();
            for (String k : a.metadata().keySet()) {
                assertThat(b.type(k)).as(k).isEqualTo(a.type(k));
                types.add(k + ":" + a.type(k));
            }
            assertThat(types).isNotEmpty();
        }
    }
}
