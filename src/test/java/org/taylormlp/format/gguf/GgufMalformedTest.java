package org.taylormlp.format.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.Rejects;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One test per kind of malformed GGUF file (security-survey §4/§6): each must be rejected with a
 * ModelFormatException naming the file and the problem, quickly, without large allocations.
 */
class GgufMalformedTest {
    @TempDir
    Path dir;

    private static final int F32 = 0;

    private static void rejects(Path p, String fragment) {
        Rejects.assertRejected(GgufFile::open, p, fragment);
    }

    /** A valid file: one kv, one F32 tensor "w" of GGUF dims [4, 2] at offset 0. */
    private static RawGguf valid(long version) {
        return new RawGguf().header(version, 1, 1)
                .kvString("general.architecture", "llama")
                .tensorInfo("w", new long[] {4, 2}, F32, 0)
                .padTo(32).zeros(32);
    }

    /** A file with one tensor described by the given fields, followed by {@code dataBytes} bytes of data. */
    private Path oneTensor(String file, long[] ne, long type, long offset, int dataBytes) throws IOException {
        return new RawGguf().header(3, 1, 0).tensorInfo("w", ne, type, offset).padTo(32).zeros(dataBytes)
                .write(dir, file);
    }

    /** A good file made by the writer: metadata of several kinds and two tensors. */
    private Path writerFile() throws IOException {
        Path p = dir.resolve("good.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 5)
                .putStringArray("tokenizer.ggml.tokens", new String[] {"<unk>", "<s>", "</s>", "hello"})
                .addTensor(Tensor.ofFloats("a.weight", new float[64], 2, 32))
                .addTensor(Tensor.ofFloats("b.weight", new float[32], 32))
                .write(p);
        return p;
    }

    private Path truncated(Path good, long length, String name) throws IOException {
        byte[] b = Files.readAllBytes(good);
        return Files.write(dir.resolve(name), Arrays.copyOf(b, (int) length));
    }

    private static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) if (hay[i + j] != n[j]) continue outer;
            return i;
        }
        throw new AssertionError(needle + " not found");
    }

    @Test
    void theValidBaseFileIsAccepted() throws IOException {
        try (GgufFile f = GgufFile.open(valid(3).write(dir, "ok.gguf"))) {
            assertThat(f.tensor("w").shape()).containsExactly(2, 4);
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
        }
    }

    @Test
    void wrongMagic() throws IOException {
        byte[] b = valid(3).bytes();
        b[0] = 'G'; b[1] = 'G'; b[2] = 'M'; b[3] = 'L';
        rejects(Files.write(dir.resolve("magic.gguf"), b), "not a GGUF file");
    }

    @Test
    void emptyFile() throws IOException {
        rejects(Files.write(dir.resolve("empty.gguf"), new byte[0]), "too short");
    }

    @Test
    void version1IsRejectedWithAnExplanation() throws IOException {
        rejects(valid(1).write(dir, "v1.gguf"), "GGUF version 1 is not supported");
    }

    @Test
    void unknownFutureVersion() throws IOException {
        rejects(valid(4).write(dir, "v4.gguf"), "unsupported GGUF version 4");
    }

    @Test
    void bigEndianFile() throws IOException {
        rejects(valid(0x0300_0000L).write(dir, "be.gguf"), "big-endian");
    }

    @Test
    void truncatedInHeader() throws IOException {
        rejects(truncated(writerFile(), 12, "cut-header.gguf"), "truncated: reading tensor count");
    }

    @Test
    void truncatedInMetadata() throws IOException {
        Path good = writerFile();
        int at = indexOf(Files.readAllBytes(good), "tokenizer.ggml.tokens") + 40; // inside the token array
        rejects(truncated(good, at, "cut-metadata.gguf"), "truncated");
    }

    @Test
    void truncatedInTensorInfos() throws IOException {
        Path good = writerFile();
        int at = indexOf(Files.readAllBytes(good), "b.weight") + 10; // inside b.weight's dims
        rejects(truncated(good, at, "cut-infos.gguf"), "of tensor 'b.weight'");
    }

    @Test
    void truncatedInData() throws IOException {
        Path good = writerFile();
        long end;
        try (GgufFile f = GgufFile.open(good)) {
            Tensor a = f.tensor("a.weight");
            end = f.dataOffset() + a.byteSize() - 1; // one byte short of a.weight's data
            assertThat(a.data().address() - f.tensors().getFirst().data().address()).isZero();
        }
        rejects(truncated(good, end, "cut-data.gguf"), "extends past the end");
    }

    @Test
    void absurdTensorCountFailsFastWithoutAllocating() throws IOException {
        Path p = new RawGguf().header(3, 1L << 62, 0).zeros(64).write(dir, "ntensors.gguf");
        rejects(p, "tensor count 4611686018427387904 is impossible");
    }

    @Test
    void absurdKeyValueCountFailsFastWithoutAllocating() throws IOException {
        Path p = new RawGguf().header(3, 0, 1L << 62).zeros(64).write(dir, "nkv.gguf");
        rejects(p, "metadata key/value count 4611686018427387904 is impossible");
    }

    @Test
    void unsignedMaxCountsAreNotTreatedAsNegative() throws IOException {
        Path p = new RawGguf().header(3, -1L, 0).zeros(64).write(dir, "ntensors-max.gguf");
        rejects(p, "tensor count 18446744073709551615 is impossible");
    }

    @Test
    void stringLengthPastEndOfFile() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).u64(1000).u8('k').zeros(16).write(dir, "strlen.gguf");
        rejects(p, "claims 1000 bytes");
    }

    @Test
    void absurdStringLength() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).str("key").u32(GgufType.STRING.id()).u64(Long.MIN_VALUE + 5).zeros(16)
                .write(dir, "strlen-absurd.gguf");
        rejects(p, "claims 9223372036854775813 bytes");
    }

    @Test
    void absurdArrayLength() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).str("tokenizer.ggml.scores").u32(GgufType.ARRAY.id())
                .u32(GgufType.FLOAT32.id()).u64(1L << 61).zeros(64).write(dir, "arrlen.gguf");
        rejects(p, "array length of 'tokenizer.ggml.scores' (FLOAT32) 2305843009213693952 is impossible");
    }

    @Test
    void arrayOfArraysCannotMultiplyAllocation() throws IOException {
        // 1000 nested arrays each claiming 2^40 elements: the first one fails against the bytes left
        RawGguf g = new RawGguf().header(3, 0, 1).str("k").u32(GgufType.ARRAY.id()).u32(GgufType.ARRAY.id()).u64(1000);
        for (int i = 0; i < 1000; i++) g.u32(GgufType.UINT8.id()).u64(1L << 40);
        rejects(g.write(dir, "arr-nested.gguf"), "is impossible");
    }

    @Test
    void arraysNestedTooDeep() throws IOException {
        RawGguf g = new RawGguf().header(3, 0, 1).str("deep").u32(GgufType.ARRAY.id());
        for (int i = 0; i < 100; i++) g.u32(GgufType.ARRAY.id()).u64(1);
        g.u32(GgufType.UINT8.id()).u64(0).zeros(8);
        rejects(g.write(dir, "deep.gguf"), "nests arrays deeper than");
    }

    @Test
    void unknownMetadataValueType() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).str("key").u32(13).u32(0).write(dir, "vtype.gguf");
        rejects(p, "unknown metadata value type 13 for value type of metadata key 'key'");
    }

    @Test
    void invalidBoolValue() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).str("flag").u32(GgufType.BOOL.id()).u8(7).write(dir, "bool.gguf");
        rejects(p, "invalid BOOL value 7");
    }

    @Test
    void duplicateMetadataKey() throws IOException {
        Path p = new RawGguf().header(3, 0, 2).kvU32("a.b", 1).kvU32("a.b", 2).write(dir, "dupkey.gguf");
        rejects(p, "duplicate metadata key 'a.b'");
    }

    @Test
    void alignmentNotAPowerOfTwo() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).kvU32("general.alignment", 48).write(dir, "align48.gguf");
        rejects(p, "general.alignment = 48 is not a power of two");
    }

    @Test
    void alignmentWithWrongType() throws IOException {
        Path p = new RawGguf().header(3, 0, 1).str("general.alignment").u32(GgufType.UINT64.id()).u64(32)
                .write(dir, "align-type.gguf");
        rejects(p, "general.alignment has type UINT64, expected UINT32");
    }

    @Test
    void tensorOffsetPastEndOfFile() throws IOException {
        rejects(oneTensor("off-eof.gguf", new long[] {4, 2}, F32, 1L << 40, 32), "is past the end of the file");
    }

    @Test
    void tensorOffsetWithTopBitSet() throws IOException {
        rejects(oneTensor("off-neg.gguf", new long[] {4, 2}, F32, -32, 32), "18446744073709551584 is past the end");
    }

    @Test
    void tensorDataOverlappingTheEndOfFile() throws IOException {
        // 8 floats = 32 bytes at offset 32, but the data section holds only 48 bytes
        rejects(oneTensor("data-eof.gguf", new long[] {4, 2}, F32, 32, 48), "data [32, 64) extends past the end");
    }

    @Test
    void misalignedTensorOffset() throws IOException {
        rejects(oneTensor("misaligned.gguf", new long[] {4, 2}, F32, 4, 64), "is not a multiple of the alignment 32");
    }

    @Test
    void overlappingTensors() throws IOException {
        Path p = new RawGguf().header(3, 2, 0)
                .tensorInfo("a", new long[] {16}, F32, 0)
                .tensorInfo("b", new long[] {8}, F32, 32)
                .padTo(32).zeros(128).write(dir, "overlap.gguf");
        rejects(p, "tensors 'a' [0, 64) and 'b' [32, 64) overlap");
    }

    @Test
    void dimensionProductOverflowsLong() throws IOException {
        // 2^42+1 style (llama.cpp PR #18674): the element count wraps 2^64
        long big = (1L << 42) + 1;
        rejects(oneTensor("dims-overflow.gguf", new long[] {big, big, 1L << 20}, F32, 0, 32),
                "overflow: the element count is not representable");
    }

    @Test
    void byteSizeOverflowsLong() throws IOException {
        // element count fits in a long, times 4 bytes it does not
        rejects(oneTensor("bytes-overflow.gguf", new long[] {1L << 31, 1L << 31}, F32, 0, 32), "size overflows");
    }

    @Test
    void dimensionWithTopBitSet() throws IOException {
        rejects(oneTensor("dim-neg.gguf", new long[] {-1L, 2}, F32, 0, 32), "dimension 0 = 18446744073709551615 is too large");
    }

    @Test
    void moreThanFourDimensions() throws IOException {
        rejects(oneTensor("dims5.gguf", new long[] {1, 1, 1, 1, 8}, F32, 0, 32), "has 5 dimensions (supported: 1 to 4)");
    }

    @Test
    void zeroDimensions() throws IOException {
        rejects(oneTensor("dims0.gguf", new long[0], F32, 0, 32), "has 0 dimensions");
    }

    @Test
    void absurdDimensionCount() throws IOException {
        Path p = new RawGguf().header(3, 1, 0).str("w").u32(0xffff_ffffL).zeros(64).write(dir, "ndims-absurd.gguf");
        rejects(p, "has 4294967295 dimensions");
    }

    @Test
    void unknownGgmlType() throws IOException {
        rejects(oneTensor("q2k.gguf", new long[] {256}, 10, 0, 96), "ggml type 10 (Q2_K), which is not supported");
    }

    @Test
    void ggmlTypeOutOfRange() throws IOException {
        rejects(oneTensor("type-huge.gguf", new long[] {4}, 0xffff_fff0L, 0, 32), "ggml type 4294967280 (unknown)");
    }

    @Test
    void quantizedRowNotAWholeBlock() throws IOException {
        rejects(oneTensor("q8-row.gguf", new long[] {16, 2}, DType.Q8_0.ggmlType(), 0, 64),
                "rows of 16 elements, not a multiple of the block size 32");
    }

    @Test
    void duplicateTensorName() throws IOException {
        Path p = new RawGguf().header(3, 2, 0)
                .tensorInfo("w", new long[] {8}, F32, 0)
                .tensorInfo("w", new long[] {8}, F32, 32)
                .padTo(32).zeros(64).write(dir, "duptensor.gguf");
        rejects(p, "duplicate tensor name 'w'");
    }

    @Test
    void dataSectionStartsPastEndOfFile() throws IOException {
        // header and infos end at a non-aligned offset, the padding and data are missing
        Path p = new RawGguf().header(3, 1, 0).tensorInfo("w", new long[] {8}, F32, 0).write(dir, "nodata.gguf");
        rejects(p, "tensor data should start at offset 64");
    }

    @Test
    void everyTruncationOfAValidFileIsRejectedCleanly() throws IOException {
        // exhaustive over a small file: every prefix must give a ModelFormatException, never another exception
        Path good = dir.resolve("small.gguf");
        new GgufWriter().putString("s", "x").putArray("arr", GgufType.INT16, java.util.List.of(1, 2, 3))
                .putFloat64("d", 1.5)
                .addTensor(Quantize.quantize(Tensor.ofFloats("q", new float[32], 32), DType.Q4_0))
                .write(good);
        byte[] b = Files.readAllBytes(good);
        int lastDataByte;
        try (GgufFile f = GgufFile.open(good)) {
            lastDataByte = (int) (f.dataOffset() + f.tensor("q").byteSize());
        }
        for (int len = 0; len < lastDataByte; len++) {
            Path p = Files.write(dir.resolve("prefix.gguf"), Arrays.copyOf(b, len));
            int n = len;
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> GgufFile.open(p).close())
                    .as("prefix of %d bytes", n)
                    .isExactlyInstanceOf(org.taylormlp.format.ModelFormatException.class);
        }
    }
}
