package org.taylormlp.robust;

import org.taylormlp.cli.Main;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs several taylormlp command lines one after another in this JVM (one table row's variants), as
 * {@link Main#execute} with stdout and stderr captured. Input: a file with one command line per line, arguments
 * separated by tabs. Output, per command, one line: {@code code<TAB>millis<TAB>stackTrace(0/1)<TAB>first error
 * line (the first {@code error:} line if any)<TAB>first output line}; then the peak RSS line of {@link CliProbe}.
 */
public final class RowProbe {
    private RowProbe() {}

    public static void main(String[] args) throws Exception {
        PrintStream realOut = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream realErr = System.err;
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        for (String line : lines) {
            if (line.isBlank()) continue;
            String[] cmd = line.split("\t");
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            long t0 = System.nanoTime();
            int code;
            try {
                code = Main.execute(cmd);
            } catch (Throwable t) {
                System.err.print("Exception in thread \"main\" ");
                t.printStackTrace();
                code = 1;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.flush();
            System.err.flush();
            System.setOut(realOut);
            System.setErr(realErr);
            String e = err.toString(StandardCharsets.UTF_8), o = out.toString(StandardCharsets.UTF_8);
            boolean trace = e.contains("\n\tat ") || e.contains("Exception in thread") || e.contains("NullPointerException");
            realOut.println(code + "\t" + ms + "\t" + (trace ? 1 : 0) + "\t" + clean(firstError(e)) + "\t" + clean(first(o)));
        }
        realErr.println(CliProbe.PEAK + CliProbe.peakKib());
        System.exit(0);
    }

    /** The first line that starts with "error:" (after any warnings and notices), else the first line. */
    private static String firstError(String s) {
        for (String l : s.split("\n")) if (l.startsWith("error:")) return l.strip();
        return first(s);
    }

    private static String first(String s) {
        for (String l : s.split("\n")) if (!l.isBlank()) return l.strip();
        return "";
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\r', ' ');
    }
}
