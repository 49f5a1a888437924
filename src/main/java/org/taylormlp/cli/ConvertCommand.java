package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.convert.KQuantMix;
import org.taylormlp.convert.ModelWriters;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a model (GGUF, Hugging Face folder, llama2.c .bin) to GGUF or to a Hugging Face safetensors folder.")
public final class ConvertCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "SRC", description = "model file or folder")
    Path source;

    @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "gguf or safetensors (a Hugging Face folder)")
    String to;

    @Option(names = "--dtype", paramLabel = "TYPE",
            description = "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, or a llama.cpp K-quant mix q4_k_m, q5_k_m, q6_k"
                    + " (GGUF only) for matrices (default: keep); 1-D tensors are written as F32")
    String dtype;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for llama2.c checkpoints (default: beside the model)")
    Path tokenizer;

    @Option(names = "--shard-size", paramLabel = "MIB", description = "safetensors shard size in MiB (default: ${DEFAULT-VALUE})")
    long shardMib = ModelWriters.DEFAULT_SHARD_BYTES >> 20;

    @Option(names = "--untie", description = "write the output matrix separately when the source ties it to the token embeddings (as llama.cpp's converter does)")
    boolean untie;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "PATH", description = "output file (gguf) or folder (safetensors)")
    Path out;

    @Override
    public void run() {
        DType dt = dtype == null ? null : KQuantMix.base(dtype) != null ? KQuantMix.base(dtype) : DType.parse(dtype);
        String target = to.toLowerCase(Locale.ROOT);
        if (!target.equals("gguf") && !target.equals("safetensors") && !target.equals("hf")) {
            throw new IllegalArgumentException("unknown --to '" + to + "' (known: gguf, safetensors)");
        }
        if (shardMib < 1) throw new IllegalArgumentException("--shard-size must be positive");
        try (Model loaded = org.taylormlp.runtime.Models.load(source, tokenizer)) {
            Model m = untie ? ModelWriters.untied(loaded) : loaded;
            ModelWriters.Report r = target.equals("gguf") ? ModelWriters.writeGguf(m, dt, out)
                    : ModelWriters.writeHf(m, dt, out, shardMib << 20);
            System.out.println(r.summary());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
