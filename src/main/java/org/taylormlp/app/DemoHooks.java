package org.taylormlp.app;

import java.io.PrintStream;
import java.nio.file.Path;

/** The demo's last step (the audit summary). */
final class DemoHooks {
    private DemoHooks() {}

    static void afterRelease(Path release, Path original, Path tokenizer, Path outDir, PrintStream out) {
        out.println("== 6. audit: not available in this build");
    }
}
