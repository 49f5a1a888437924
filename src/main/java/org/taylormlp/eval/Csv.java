package org.taylormlp.eval;

import java.util.ArrayList;
import java.util.List;

/** A small RFC 4180 CSV reader: comma separated, double-quoted fields may hold commas, quotes ("") and newlines. */
public final class Csv {
    private Csv() {}

    public static List<List<String>> parse(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false, any = false;
        int n = text.length();
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        for (; i < n; i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < n && text.charAt(i + 1) == '"') {
                        f.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    f.append(c);
                }
                continue;
            }
            switch (c) {
                case '"' -> {
                    quoted = true;
                    any = true;
                }
                case ',' -> {
                    row.add(f.toString());
                    f.setLength(0);
                    any = true;
                }
                case '\r' -> { }
                case '\n' -> {
                    if (any || f.length() > 0) {
                        row.add(f.toString());
                        rows.add(row);
                    }
                    row = new ArrayList<>();
                    f.setLength(0);
                    any = false;
                }
                default -> {
                    f.append(c);
                    any = true;
                }
            }
        }
        if (quoted) throw new IllegalArgumentException("CSV ends inside a quoted field");
        if (any || f.length() > 0) {
            row.add(f.toString());
            rows.add(row);
        }
        return rows;
    }
}
