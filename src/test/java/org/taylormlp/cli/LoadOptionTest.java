package org.taylormlp.cli;

import org.taylormlp.cli.CliCapture.Run;
import static org.taylormlp.cli.CliCapture.run;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.taylormlp.TestFiles;


import static org.assertj.core.api.Assertions.assertThat;

/** {@code --load} / {@code --no-mmap} on the commands that run a model, through {@link Main#execute}. */
@Timeout(120)
class LoadOptionTest {
    static final String MODEL = TestFiles.smallModel().toString();

    @Test
    void everyModeGeneratesTheSameGreedyText() {
        Run mmap = run("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "40", "--temperature", "0", "-t", "1", "-v", "--load", "mmap");
        Run copy = run("generate", "-m", MODEL, "-p", "Once upon a time", "-n", "40", "--temperature", "0", "-t", "1", "-v", "--no-mmap");
        assertThat(mmap.exit()).as(mmap.err()).isZero();
        assertThat(copy.exit()).as(copy.err()).isZero();
        assertThat(mmap.err()).contains("weights: memory-mapped from the file");
        assertThat(copy.err()).contains("copied into private memory");
        assertThat(copy.out()).isNotBlank().isEqualTo(mmap.out());
    }

    @Test
    void badValuesAreUsageErrors() {
        Run bad = run("generate", "-m", MODEL, "-n", "1", "--load", "ram");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--load").contains("auto, mmap or copy");
        Run both = run("generate", "-m", MODEL, "-n", "1", "--no-mmap", "--load", "mmap");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--no-mmap contradicts --load mmap");
        Run bench = run("bench", "-m", MODEL, "-p", "0", "-n", "4", "--load", "disk");
        assertThat(bench.exit()).isEqualTo(2);
        assertThat(bench.err()).contains("auto, mmap or copy");
        Run benchBoth = run("bench", "-m", MODEL, "-p", "0", "-n", "4", "--no-mmap", "--load", "auto");
        assertThat(benchBoth.exit()).isEqualTo(2);
        assertThat(benchBoth.err()).contains("--no-mmap contradicts --load auto");
    }
}
