package org.taylormlp.cli;

import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.convert.ModelWriters;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a deterministic random-weight model of a supported family (for tests and benchmarks).")
public final class SynthCommand implements Runnable {
    @Option(names = "--family", required = true, paramLabel = "NAME", description = "llama, mistral, qwen2 or phi2")
    String family;

    @Option(names = "--preset", paramLabel = "NAME", description = "tiny or llama3-8b (default: ${DEFAULT-VALUE})")
    String preset = "tiny";

    @Option(names = "--layers", paramLabel = "N", description = "number of layers (default: the preset's)")
    Integer layers;

    @Option(names = "--seed", paramLabel = "S", description = "weight seed (default: the preset's)")
    Long seed;

    @Option(names = "--llama3-rope", description = "add Llama-3.1 RoPE scaling (tiny llama/mistral)")
    boolean llama3Rope;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "gguf or hf (a safetensors folder)")
    String to;

    @Option(names = "--shard-size", paramLabel = "MIB", description = "safetensors shard size in MiB (default: ${DEFAULT-VALUE})")
    long shardMib = 1024;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "PATH", description = "output file (gguf) or folder (hf)")
    Path out;

    @Override
    public void run() {
        SyntheticModels.Spec s = SyntheticModels.preset(SyntheticModels.Family.parse(family), preset);
        if (layers != null) {
            if (layers < 1 || layers > 1024) throw new IllegalArgumentException("--layers must be between 1 and 1024");
            s = s.withLayers(layers);
        }
        if (seed != null) s = s.withSeed(seed);
        if (llama3Rope) s = s.withRopeScaling(SyntheticModels.TINY_LLAMA3_SCALING);
        if (shardMib < 1) throw new IllegalArgumentException("--shard-size must be positive");
        try {
            ModelWriters.Report r = SyntheticModels.write(s, to, out, shardMib << 20);
            System.out.println(r.summary());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
