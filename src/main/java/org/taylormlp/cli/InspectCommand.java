package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.Inspector;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print architecture, hyper-parameters, tensor table and parameter count of a model or release.")
public final class InspectCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "PATH", description = "model file or folder")
    Path path;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for llama2.c checkpoints")
    Path tokenizer;

    @Option(names = "--no-tensors", description = "omit the tensor table")
    boolean noTensors;

    @Override
    public void run() {
        try (Model m = org.taylormlp.runtime.Models.load(path, tokenizer)) {
            System.out.print(Inspector.describe(m, !noTensors));
        }
    }
}
