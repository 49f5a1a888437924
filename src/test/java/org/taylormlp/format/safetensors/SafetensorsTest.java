package org.taylormlp.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.tensor.DType;
import org.taylormlp.tensor.Quantize;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsTest {
    @TempDir
    Path dir;

    static Tensor random(String name, DType dt, long seed, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return Quantize.quantize(Tensor.ofFloats(name, x, shape), dt);
    }

    static byte[] bytes(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void floatDtypesAndMetadataRoundTrip() throws IOException {
        Tensor a = random("model.embed_tokens.weight", DType.F32, 1, 10, 6);
        Tensor b = random("model.layers.0.mlp.up_proj.weight", DType.F16, 2, 3, 5);
        Tensor c = random("model.norm.weight", DType.BF16, 3, 7);
        Tensor empty = Tensor.ofFloats("empty", new float[0], 0, 4);
        Path p = dir.resolve("model.safetensors");
        new SafetensorsWriter().putMetadata("format", "pt").putMetadata("note", "ünïcode")
                .addTensor(a).addTensor(b).addTensor(c).addTensor(empty).write(p);

        byte[] file = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(n % 8).as("header padded to 8 bytes").isZero();
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"");
        assertThat(header.stripTrailing()).endsWith("}");
        assertThat(header.substring(header.stripTrailing().length())).matches(" *");
        assertThat(file.length).isEqualTo(8 + n + 60 * 4 + 15 * 2 + 7 * 2);

        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.metadata()).containsExactly(java.util.Map.entry("format", "pt"), java.util.Map.entry("note", "ünïcode"));
            assertThat(f.tensorNames()).containsExactly(a.name(), b.name(), c.name(), "empty");
            for (Tensor t : List.of(a, b, c, empty)) {
                Tensor r = f.tensor(t.name());
                assertThat(r.dtype()).isEqualTo(t.dtype());
                assertThat(r.shape()).containsExactly(t.shape()); // row-major, not reversed
                assertThat(bytes(r)).isEqualTo(bytes(t));
            }
            assertThat(f.dtypeOf(c.name())).isEqualTo("BF16");
            assertThat(f.tensor("missing")).isNull();
            assertThat(f.tensors()).hasSize(4);
        }
    }

    @Test
    void quantizedInputIsStoredAsItsF32Values() throws IOException {
        Tensor q8 = random("q8", DType.Q8_0, 4, 2, 64);
        Tensor q4 = random("q4", DType.Q4_0, 5, 32);
        Path p = dir.resolve("q.safetensors");
        new SafetensorsWriter().addTensor(q8).addTensor(q4).write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.tensor("q8").dtype()).isEqualTo(DType.F32);
            assertThat(f.tensor("q8").toFloats()).containsExactly(q8.toFloats());
            assertThat(f.tensor("q4").toFloats()).containsExactly(q4.toFloats());
        }
    }

    @Test
    void tensorsCanBeStreamedFromAMappedGgufFile() throws IOException {
        Path out = dir.resolve("stories.safetensors");
        // stories260K.gguf from the test assets, else a synthetic Llama GGUF the project writes itself
        Path gguf;
        if (org.taylormlp.TestFiles.hasAsset("models/stories260K-gguf/stories260K.gguf")) {
            gguf = org.taylormlp.TestFiles.model("stories260K-gguf/stories260K.gguf");
        } else {
            gguf = dir.resolve("synthetic.gguf");
            org.taylormlp.synth.SyntheticModels.write(org.taylormlp.synth.SyntheticModels.tiny(org.taylormlp.synth.SyntheticModels.Family.LLAMA), "gguf", gguf, Long.MAX_VALUE);
        }
        try (GgufFile g = GgufFile.open(gguf)) {
            SafetensorsWriter w = new SafetensorsWriter();
            g.tensors().forEach(w::addTensor);
            w.write(out);
            try (SafetensorsFile s = SafetensorsFile.open(out)) {
                assertThat(s.tensorNames()).hasSize(g.tensors().size());
                for (Tensor t : g.tensors()) assertThat(bytes(s.tensor(t.name()))).isEqualTo(bytes(t));
            }
        }
    }

    @Test
    void shardedWriteAndFolderRead() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().putMetadata("format", "pt");
        Tensor[] ts = new Tensor[7];
        for (int i = 0; i < ts.length; i++) {
            ts[i] = random("layers." + i + ".weight", i % 2 == 0 ? DType.F32 : DType.BF16, i, 16, 8);
            w.addTensor(ts[i]);
        }
        // F32 tensors are 512 bytes, BF16 256: shards of at most 1000 bytes
        List<Path> shards = w.writeSharded(dir.resolve("sharded"), 1000);
        assertThat(shards).hasSizeGreaterThan(2);
        int n = shards.size();
        assertThat(shards.getFirst().getFileName().toString()).isEqualTo(String.format("model-00001-of-%05d.safetensors", n));
        for (Path s : shards) assertThat(Files.size(s)).isLessThan(1000 + 1024);

        JsonNode index = SafetensorsJson.MAPPER.readTree(dir.resolve("sharded/model.safetensors.index.json").toFile());
        assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(4 * 512 + 3 * 256);
        assertThat(index.get("weight_map").size()).isEqualTo(7);

        try (SafetensorsFolder f = SafetensorsFolder.open(dir.resolve("sharded"))) {
            assertThat(f.sharded()).isTrue();
            assertThat(f.files()).hasSize(n);
            assertThat(f.indexMetadata()).containsEntry("total_size", 4 * 512 + 3 * 256);
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(f.tensorNames()).hasSize(7);
            for (Tensor t : ts) assertThat(bytes(f.tensor(t.name()))).isEqualTo(bytes(t));
            assertThat(f.tensors()).extracting(Tensor::name).containsExactlyElementsOf(
                    java.util.Arrays.stream(ts).map(Tensor::name).toList());
            assertThat(f.tensor("nope")).isNull();
        }
        try (var files = Files.list(dir.resolve("sharded"))) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(s -> s.endsWith(".tmp")).hasSize(n + 1);
        }
    }

    @Test
    void folderWithSingleFileAndDirectFileOpen() throws IOException {
        Tensor t = random("w", DType.F16, 1, 4, 4);
        new SafetensorsWriter().addTensor(t).write(dir.resolve("model.safetensors"));
        try (SafetensorsFolder f = SafetensorsFolder.open(dir)) {
            assertThat(f.sharded()).isFalse();
            assertThat(bytes(f.tensor("w"))).isEqualTo(bytes(t));
        }
        try (SafetensorsFolder f = SafetensorsFolder.open(dir.resolve("model.safetensors"))) {
            assertThat(f.tensorNames()).containsExactly("w");
        }
    }

    @Test
    void emptyFolderIsATypedError() {
        assertThatThrownBy(() -> SafetensorsFolder.open(dir)).isExactlyInstanceOf(org.taylormlp.format.ModelFormatException.class)
                .hasMessageContaining("neither model.safetensors nor model.safetensors.index.json");
    }

    @Test
    void writerRejectsBadInput() {
        SafetensorsWriter w = new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[1], 1));
        assertThatThrownBy(() -> w.addTensor(Tensor.ofFloats("a", new float[1], 1))).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> w.addTensor(Tensor.ofFloats("__metadata__", new float[1], 1))).hasMessageContaining("reserved");
        assertThatThrownBy(() -> w.writeSharded(dir, 0)).hasMessageContaining("positive");
    }
}
