package org.taylormlp.format.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.Rejects;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One test per kind of malformed safetensors file or folder: each must give a ModelFormatException naming the file. */
class SafetensorsMalformedTest {
    @TempDir
    Path dir;

    private static void rejects(Path p, String fragment) {
        Rejects.assertRejected(SafetensorsFile::open, p, fragment);
    }

    /** A file with header {@code json} (as given, unpadded) and {@code dataBytes} zero bytes of data. */
    private Path file(String name, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return raw(name, h.length, h, dataBytes);
    }

    private Path raw(String name, long headerLen, byte[] header, int dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLen).put(header);
        return Files.write(dir.resolve(name), b.array());
    }

    private static String t(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void theValidBaseFileIsAccepted() throws IOException {
        Path p = file("ok.safetensors", "{" + t("a", "F32", "[2,2]", 0, 16) + "," + t("b", "F16", "[4]", 16, 24) + "}", 24);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.tensor("a").shape()).containsExactly(2, 2);
            assertThat(f.tensor("b").byteSize()).isEqualTo(8);
        }
    }

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        rejects(Files.write(dir.resolve("short.safetensors"), new byte[5]), "too short for the 8-byte header length");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        rejects(raw("hlen-eof.safetensors", 1000, "{}".getBytes(StandardCharsets.UTF_8), 0), "header length 1000 runs past the end");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        rejects(raw("hlen-huge.safetensors", -1L, "{}".getBytes(StandardCharsets.UTF_8), 0),
                "header length 18446744073709551615 is invalid");
        rejects(raw("hlen-cap.safetensors", 100_000_001L, new byte[0], 0), "header length 100000001 is invalid");
    }

    @Test
    void zeroHeaderLength() throws IOException {
        rejects(raw("hlen0.safetensors", 0, new byte[0], 8), "header length 0 is invalid");
    }

    @Test
    void invalidJson() throws IOException {
        rejects(file("json.safetensors", "{\"a\":{\"dtype\":\"F32\",", 0), "header is not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        rejects(file("array.safetensors", "[1,2,3] ", 0), "header must be a JSON object");
    }

    @Test
    void trailingGarbageAfterJson() throws IOException {
        rejects(file("trailing-json.safetensors", "{} x", 0), "header is not valid JSON");
    }

    @Test
    void invalidUtf8InHeader() throws IOException {
        byte[] h = "{\"a\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1); // lone 0xff byte: invalid UTF-8
        rejects(raw("utf8.safetensors", h.length, h, 0), "header is not valid JSON");
    }

    @Test
    void deeplyNestedJsonCannotOverflowTheStack() throws IOException {
        String deep = "{\"__metadata__\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        rejects(file("deep.safetensors", deep, 0), "header is not valid JSON");
    }

    @Test
    void duplicateTensorKeys() throws IOException {
        rejects(file("dup.safetensors", "{" + t("a", "F32", "[1]", 0, 4) + "," + t("a", "F32", "[1]", 4, 8) + "}", 8),
                "Duplicate field 'a'");
    }

    @Test
    void offsetsOutOfOrder() throws IOException {
        rejects(file("order.safetensors", "{" + t("a", "F32", "[1]", 8, 4) + "}", 8),
                "data_offsets [8, 4] are out of order");
    }

    @Test
    void overlappingOffsets() throws IOException {
        rejects(file("overlap.safetensors", "{" + t("a", "F32", "[2]", 0, 8) + "," + t("b", "F32", "[2]", 4, 12) + "}", 12),
                "overlap tensor 'a'");
    }

    @Test
    void offsetsBeyondTheFile() throws IOException {
        rejects(file("beyond.safetensors", "{" + t("a", "F32", "[4]", 0, 16) + "}", 8), "lie beyond the end of the file");
    }

    @Test
    void hugeOffsetsBeyondTheFile() throws IOException {
        rejects(file("beyond-huge.safetensors", "{" + t("a", "F32", "[1]", Long.MAX_VALUE - 4, Long.MAX_VALUE) + "}", 8),
                "lie beyond the end of the file");
    }

    @Test
    void offsetNotA64BitInteger() throws IOException {
        rejects(file("offset-big.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e400]}}", 4),
                "data_offsets end is not a non-negative 64-bit integer");
        rejects(file("offset-neg.safetensors", "{" + t("a", "F32", "[1]", -4, 0) + "}", 4), "not a non-negative");
    }

    @Test
    void gapBetweenTensors() throws IOException {
        rejects(file("gap.safetensors", "{" + t("a", "F32", "[1]", 0, 4) + "," + t("b", "F32", "[1]", 8, 12) + "}", 12),
                "gap in the data area");
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws IOException {
        rejects(file("polyglot.safetensors", "{" + t("a", "F32", "[1]", 0, 4) + "}", 64), "trailing bytes");
    }

    @Test
    void byteSizeInconsistentWithShape() throws IOException {
        rejects(file("size.safetensors", "{" + t("a", "F32", "[3]", 0, 8) + "}", 8), "= 12 bytes but its data_offsets [0, 8] span 8");
    }

    @Test
    void shapeProductOverflows() throws IOException {
        long big = (1L << 42) + 1;
        rejects(file("shape-overflow.safetensors", "{" + t("a", "F32", "[" + big + "," + big + ",1048576]", 0, 4) + "}", 4),
                "overflows");
    }

    @Test
    void negativeDimension() throws IOException {
        rejects(file("shape-neg.safetensors", "{" + t("a", "F32", "[-1,4]", 0, 4) + "}", 4), "shape[0] is not a non-negative");
    }

    @Test
    void rankTooLarge() throws IOException {
        rejects(file("rank.safetensors", "{" + t("a", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) + "}", 4), "rank 9 > 8");
    }

    @Test
    void unknownDtype() throws IOException {
        rejects(file("dtype.safetensors", "{" + t("a", "Q9_FANCY", "[1]", 0, 4) + "}", 4), "unknown dtype 'Q9_FANCY'");
    }

    @Test
    void subByteDtypeMustBeWholeBytes() throws IOException {
        rejects(file("f4.safetensors", "{" + t("a", "F4", "[3]", 0, 2) + "}", 2), "not a whole number of bytes");
    }

    @Test
    void unsupportedButValidDtypeIsRejectedOnUse() throws IOException {
        Path p = file("i64.safetensors", "{" + t("pos", "I64", "[2]", 0, 16) + "," + t("w", "F32", "[2]", 16, 24) + "}", 24);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.tensorNames()).containsExactly("pos", "w");
            assertThat(f.tensor("w").toFloats()).containsExactly(0f, 0f);
            assertThatThrownBy(() -> f.tensor("pos")).isExactlyInstanceOf(org.taylormlp.format.ModelFormatException.class)
                    .hasMessageContaining(p.toString()).hasMessageContaining("tensor 'pos' has dtype I64, which is not supported");
            assertThatThrownBy(f::tensors).hasMessageContaining("'pos'");
        }
    }

    @Test
    void missingOrExtraTensorFields() throws IOException {
        rejects(file("nodtype.safetensors", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "has no string 'dtype'");
        rejects(file("extra.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "unknown field 'x'");
        rejects(file("offsets3.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4),
                "needs 'data_offsets' [begin, end]");
    }

    @Test
    void metadataValuesMustBeStrings() throws IOException {
        rejects(file("meta.safetensors", "{\"__metadata__\":{\"n\":1}}", 0), "__metadata__ value of 'n' is not a string");
    }

    // ------------------------------------------------------------------------------------------ sharded folders

    private Path shardedFolder(String name, String weightMapJson) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[] {1}, 1)).write(d.resolve("s1.safetensors"));
        Files.writeString(d.resolve(SafetensorsFolder.INDEX_FILE), "{\"metadata\":{},\"weight_map\":" + weightMapJson + "}");
        return d;
    }

    private static void folderRejects(Path d, String fragment) {
        Rejects.assertRejected(SafetensorsFolder::open, d, d.resolve(SafetensorsFolder.INDEX_FILE), fragment);
    }

    @Test
    void shardPathTraversalIsRejected() throws IOException {
        Path d = shardedFolder("traversal", "{\"a\":\"../outside.safetensors\"}");
        new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[] {1}, 1)).write(dir.resolve("outside.safetensors"));
        folderRejects(d, "shard name '../outside.safetensors' is not a plain file name");
    }

    @Test
    void absoluteShardPathIsRejected() throws IOException {
        Path target = dir.resolve("abs.safetensors").toAbsolutePath();
        new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[] {1}, 1)).write(target);
        Path d = shardedFolder("absolute", "{\"a\":\"" + target + "\"}");
        folderRejects(d, "is not a plain file name");
    }

    @Test
    void shardInSubfolderOrDotDotIsRejected() throws IOException {
        folderRejects(shardedFolder("sub", "{\"a\":\"sub/s1.safetensors\"}"), "not a plain file name");
        folderRejects(shardedFolder("dotdot", "{\"a\":\"..\"}"), "not a plain file name");
    }

    @Test
    void missingShardFile() throws IOException {
        folderRejects(shardedFolder("missing", "{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}"),
                "shard 's2.safetensors' listed in the index is missing");
    }

    @Test
    void tensorMappedToAShardThatLacksIt() throws IOException {
        folderRejects(shardedFolder("wrongshard", "{\"a\":\"s1.safetensors\",\"zz\":\"s1.safetensors\"}"),
                "tensor 'zz' is mapped to shard 's1.safetensors', which does not contain it");
    }

    @Test
    void shardTensorNotListedInIndex() throws IOException {
        Path d = shardedFolder("unlisted", "{\"a\":\"s1.safetensors\"}");
        new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[] {1}, 1))
                .addTensor(Tensor.ofFloats("extra", new float[] {1}, 1)).write(d.resolve("s1.safetensors"));
        folderRejects(d, "tensor 'extra' of shard 's1.safetensors' is not listed");
    }

    @Test
    void indexWithoutWeightMapOrInvalidJson() throws IOException {
        Path d = Files.createDirectories(dir.resolve("nomap"));
        Files.writeString(d.resolve(SafetensorsFolder.INDEX_FILE), "{\"metadata\":{}}");
        folderRejects(d, "index has no 'weight_map' object");
        Files.writeString(d.resolve(SafetensorsFolder.INDEX_FILE), "{\"weight_map\":");
        folderRejects(d, "index is not valid JSON");
    }

    @Test
    void corruptShardIsReportedWithTheShardName() throws IOException {
        Path d = shardedFolder("corrupt", "{\"a\":\"s1.safetensors\"}");
        Files.write(d.resolve("s1.safetensors"), new byte[] {1, 2, 3});
        Rejects.assertRejected(SafetensorsFolder::open, d, d.resolve("s1.safetensors"), "too short");
    }
}
