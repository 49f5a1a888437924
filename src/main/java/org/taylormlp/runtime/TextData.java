package org.taylormlp.runtime;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Text files as token sequences: split into paragraphs (blank-line separated), each encoded with BOS. */
public final class TextData {
    private TextData() {}

    public static List<String> paragraphs(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new TaylorMlpException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new TaylorMlpException(file + ": cannot read: " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        for (String p : text.replace("\r\n", "\n").split("\n\\s*\n")) {
            String s = p.strip();
            if (!s.isEmpty()) out.add(s);
        }
        return out;
    }

    /**
     * Encodes paragraphs (each with BOS) until {@code maxTokens} tokens are collected (0 = all); sequences longer
     * than {@code maxLen} are cut.
     */
    public static List<int[]> encode(Tokenizer tok, List<String> paragraphs, long maxTokens, int maxLen) {
        List<int[]> out = new ArrayList<>();
        long total = 0;
        for (String p : paragraphs) {
            int[] ids = tok.encode(p, true);
            if (ids.length < 2) continue;
            if (ids.length > maxLen) ids = java.util.Arrays.copyOf(ids, maxLen);
            if (maxTokens > 0 && total + ids.length > maxTokens) {
                int keep = (int) (maxTokens - total);
                if (keep >= 2) out.add(java.util.Arrays.copyOf(ids, keep));
                break;
            }
            out.add(ids);
            total += ids.length;
        }
        return out;
    }

    public static long tokenCount(List<int[]> seqs) {
        long n = 0;
        for (int[] s : seqs) n += s.length;
        return n;
    }
}
