package org.taylormlp.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts streamed text at the first stop sequence. Text is released as soon as it can no longer be the start
 * of a stop sequence; a possible start is held back until the following text decides. Once a sequence
 * matched, {@link #stopped()} is true and neither the sequence nor anything after it is ever released.
 * Not thread-safe: one instance per generation.
 */
public final class StopSequences {
    private final List<String> stops;
    private String held = "";
    private boolean stopped;

    /** Empty strings in {@code stops} are ignored. */
    public StopSequences(List<String> stops) {
        List<String> s = new ArrayList<>();
        for (String x : stops) if (x != null && !x.isEmpty()) s.add(x);
        this.stops = List.copyOf(s);
    }

    public static StopSequences none() { return new StopSequences(List.of()); }

    /** Adds generated text; returns the part that is now final (possibly empty). */
    public String accept(String text) {
        if (stopped) return "";
        if (stops.isEmpty()) return text;
        String buf = held + text;
        int first = -1;
        for (String s : stops) {
            int i = buf.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        if (first >= 0) {
            stopped = true;
            held = "";
            return buf.substring(0, first);
        }
        int keep = longestSuffixThatStartsAStop(buf);
        held = buf.substring(buf.length() - keep);
        return buf.substring(0, buf.length() - keep);
    }

    /** True once a stop sequence matched. */
    public boolean stopped() { return stopped; }

    /** At the end of generation without a match: releases the text held back (empty after a match). */
    public String flush() {
        String s = held;
        held = "";
        return s;
    }

    private int longestSuffixThatStartsAStop(String buf) {
        int best = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, buf.length()); len > best; len--) {
                if (buf.regionMatches(buf.length() - len, s, 0, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }
}
