package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.TextData;
import org.taylormlp.taylor.CalibrationFile;
import org.taylormlp.taylor.CalibrationStats;
import org.taylormlp.taylor.Calibrator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Record per-neuron activation-input statistics of every MLP on text; saved for protect.")
public final class CalibrateCommand implements Runnable {
    @Mixin
    ModelOptions opts;

    @Option(names = "--text", arity = "1..*", paramLabel = "FILE", description = "UTF-8 text file(s); paragraphs are sequences")
    List<Path> text;

    @Option(names = "--self-text", paramLabel = "N", description = {"calibrate on N tokens the model samples itself (temperature 1,",
            "seeds 1000+, as the demo does) instead of --text"})
    Integer selfText;

    @Option(names = "--max-tokens", paramLabel = "T", description = "with --text: stop after T tokens (default: ${DEFAULT-VALUE})")
    long maxTokens = 20000;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "calibration file to write")
    Path out;

    @Override
    public void run() {
        if ((text == null) == (selfText == null)) throw new IllegalArgumentException("give either --text FILE... or --self-text N");
        if (selfText != null && selfText < 2) throw new IllegalArgumentException("--self-text must be at least 2 tokens, got " + selfText);
        try (Engine e = opts.open()) {
            CalibrationStats s = selfText != null ? calibrateSelf(e, selfText) : calibrate(e, text, maxTokens);
            CalibrationFile.save(s, out, String.valueOf(opts.model.getFileName()));
            System.err.printf("calibrated %d layers x %d neurons on %d tokens -> %s%n", s.layers(), s.neurons(), s.tokens(), out);
        }
    }

    static CalibrationStats calibrateSelf(Engine e, int tokens) {
        List<int[]> seqs = org.taylormlp.runtime.SelfText.sample(e, tokens, 1000);
        long total = TextData.tokenCount(seqs);
        try (var bar = org.taylormlp.runtime.Progress.start("calibrate", total)) {
            return Calibrator.calibrate(e.transformer(), seqs, total, e.transformer().maxContext(), bar::stepTo);
        }
    }

    static CalibrationStats calibrate(Engine e, List<Path> files, long maxTokens) {
        if (maxTokens < 0) throw new IllegalArgumentException("--max-tokens must be >= 0");
        List<String> paragraphs = new ArrayList<>();
        for (Path f : files) paragraphs.addAll(TextData.paragraphs(f));
        List<int[]> seqs = TextData.encode(e.model().tokenizer(), paragraphs, maxTokens, e.transformer().maxContext());
        long total = TextData.tokenCount(seqs);
        try (var bar = org.taylormlp.runtime.Progress.start("calibrate", total)) {
            return Calibrator.calibrate(e.transformer(), seqs, maxTokens, e.transformer().maxContext(), bar::stepTo);
        }
    }
}
