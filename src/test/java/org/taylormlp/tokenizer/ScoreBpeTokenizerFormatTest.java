package org.taylormlp.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Damaged llama2.c tokenizer files are reported as {@link ModelFormatException}s naming the file. */
class ScoreBpeTokenizerFormatTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p;
    }

    private static byte[] tok512() throws IOException {
        return Files.readAllBytes(Reference.STORIES260K_TOKENIZER);
    }

    @Test
    void validCopyLoads() throws IOException {
        Path p = write("ok.bin", tok512());
        assertThat(ScoreBpeTokenizer.fromLlama2c(p, 512).vocabSize()).isEqualTo(512);
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] data = tok512();
        Path p = write("truncated.bin", Arrays.copyOf(data, data.length - 3));
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(p, 512))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining("truncated");
        Path empty = write("empty.bin", new byte[2]);
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(empty, 512))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("truncated");
    }

    @Test
    void negativeTokenLength() throws IOException {
        byte[] data = tok512();
        // token 0 starts at offset 4: float score, then int32 length at offset 8
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -5);
        Path p = write("negative.bin", data);
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(p, 512))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining("token 0 has length -5");
    }

    @Test
    void lengthBeyondMaxTokenLengthOrPastTheEnd() throws IOException {
        byte[] data = tok512();
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1_000_000);
        Path p = write("huge.bin", data);
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(p, 512))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("max_token_length");

        ByteBuffer b = ByteBuffer.allocate(4 + 8 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(100).putFloat(0).putInt(50).putInt(0);
        Path past = write("past-eof.bin", b.array());
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(past, 3))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("truncated inside token 0");
    }

    @Test
    void absurdMaxTokenLength() throws IOException {
        byte[] data = tok512();
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x7fff_ffff);
        Path p = write("absurd.bin", data);
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(p, 512))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(p.toString())
                .hasMessageContaining("max_token_length");
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -1);
        Path negative = write("negative-max.bin", data);
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(negative, 512))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("max_token_length");
    }

    @Test
    void vocabSizeMismatch() {
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(Reference.STORIES260K_TOKENIZER, 600))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tok512.bin")
                .hasMessageContaining("token 512 of 600");
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(Reference.STORIES260K_TOKENIZER, 500))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("larger vocabulary");
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(Reference.STORIES15M_TOKENIZER, 512))
                .isInstanceOf(ModelFormatException.class);
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("nope.bin");
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(p, 512))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("nope.bin");
    }

    @Test
    void tooSmallVocabulary() {
        assertThatThrownBy(() -> ScoreBpeTokenizer.fromLlama2c(Reference.STORIES260K_TOKENIZER, 2))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("too small");
    }
}
