package org.taylormlp.robust;

import org.taylormlp.cli.Main;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link Main#main} plus one line on stderr with the process's peak resident memory (VmHWM), so that the tests
 * can report it; an uncaught throwable is printed and exits 1, as the JVM would.
 */
public final class CliProbe {
    private CliProbe() {}

    static final String PEAK = "cli-probe peak_rss_kib=";

    public static void main(String[] args) {
        System.setOut(new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute(args);
        } catch (Throwable t) {
            System.err.print("Exception in thread \"main\" ");
            t.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.err.println(PEAK + peakKib());
        System.exit(code);
    }

    static long peakKib() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }
}
