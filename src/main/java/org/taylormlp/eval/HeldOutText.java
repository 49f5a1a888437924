package org.taylormlp.eval;

import org.taylormlp.runtime.TextData;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The evaluation paragraphs of one --data file: those after the skipped ones (at least {@code --skip-paragraphs}, and
 * all that calibration read when the file is the calibration text).
 *
 * @param reason why {@code skipped} paragraphs were left out, for the report
 */
record HeldOutText(Path file, List<String> paragraphs, int skipped, String reason) {

    static HeldOutText of(Path f, Tokenizer tok, EvalOptions o, int ctx) {
        List<String> all = TextData.paragraphs(f);
        int skip = o.skipParagraphs();
        String reason = skip > 0 ? "--skip-paragraphs " + skip : "none";
        if (o.calibrationText() != null && sameFile(f, o.calibrationText())) {
            int c = calibrationParagraphs(tok, all, o.calibrationTokens(), Math.min(4096, ctx));
            if (c > skip) {
                skip = c;
                reason = "the first " + c + " paragraphs are the calibration text (" + o.calibrationTokens() + " tokens)";
            }
        }
        skip = Math.min(skip, all.size());
        return new HeldOutText(f, all.subList(skip, all.size()), skip, reason);
    }

    /** The file's identity (path, size, modification time) and the split, for checkpoint keys. */
    String describe() {
        return file.toAbsolutePath().normalize() + "@" + Checkpoints.identity(file) + "#" + skipped;
    }

    static String describeAll(List<HeldOutText> held) {
        StringBuilder sb = new StringBuilder();
        for (HeldOutText h : held) sb.append(h.describe()).append(';');
        return sb.toString();
    }

    /** Documents (each with BOS) concatenated, up to {@code maxTokens} tokens (0 = all). */
    int[] stream(Tokenizer tok, long maxTokens) {
        int[] out = new int[1024];
        int n = 0;
        for (String p : paragraphs) {
            int[] ids = tok.encode(p, true);
            int take = maxTokens > 0 ? (int) Math.min(ids.length, maxTokens - n) : ids.length;
            if (n + take > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + take));
            System.arraycopy(ids, 0, out, n, take);
            n += take;
            if (maxTokens > 0 && n >= maxTokens) break;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * How many leading paragraphs {@code taylormlp calibrate/protect --text F --max-tokens T} reads (the same
     * encoding as {@link TextData#encode}); a paragraph read only in part counts as read.
     */
    static int calibrationParagraphs(Tokenizer tok, List<String> paragraphs, long maxTokens, int maxLen) {
        if (maxTokens <= 0) return paragraphs.size();
        long total = 0;
        for (int i = 0; i < paragraphs.size(); i++) {
            int len = Math.min(tok.encode(paragraphs.get(i), true).length, maxLen);
            if (len < 2) continue;
            total += len;
            if (total >= maxTokens) return i + 1;
        }
        return paragraphs.size();
    }

    /** Greedy prompts: the first {@code promptTokens} tokens of held-out paragraphs longer than that, round-robin over the files. */
    static List<int[]> prompts(List<HeldOutText> held, Tokenizer tok, int count, int promptTokens) {
        List<int[]> out = new ArrayList<>();
        int[] idx = new int[held.size()];
        boolean progress = true;
        while (out.size() < count && progress) {
            progress = false;
            for (int f = 0; f < held.size() && out.size() < count; f++) {
                List<String> ps = held.get(f).paragraphs();
                while (idx[f] < ps.size()) {
                    int[] ids = tok.encode(ps.get(idx[f]++), true);
                    if (ids.length > promptTokens) {
                        out.add(Arrays.copyOf(ids, promptTokens));
                        progress = true;
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }
}
