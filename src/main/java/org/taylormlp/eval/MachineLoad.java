package org.taylormlp.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The load average recorded beside measured figures. */
final class MachineLoad {
    private MachineLoad() {}

    /** "1min 5min 15min" from /proc/loadavg, or "unknown" where there is none. */
    static String average() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
