package org.taylormlp.runtime;

import org.taylormlp.runtime.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class ProgressTest {
    @Test
    void environmentOverridesTerminalDetection() {
        assertThat(Progress.enabled(null, true)).isTrue();
        assertThat(Progress.enabled(null, false)).isFalse();
        assertThat(Progress.enabled("1", false)).isTrue();
        assertThat(Progress.enabled("true", false)).isTrue();
        assertThat(Progress.enabled("0", true)).isFalse();
        assertThat(Progress.enabled("false", true)).isFalse();
        assertThat(Progress.enabled("whatever", false)).isFalse();
    }

    @Test
    void drawsTheTaskAndCountWhenShown() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            try (Progress p = Progress.start("loading layers", 12, true, ps)) {
                assertThat(p.isShown()).isTrue();
                for (int i = 0; i < 10; i++) p.step();
                p.stepBy(2);
            }
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("loading layers").contains("12/12").contains("100%");
    }

    @Test
    void silentWhenNotShown() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
             Progress p = Progress.start("x", 5, false, ps)) {
            assertThat(p.isShown()).isFalse();
            p.step();
            p.stepBy(4);
            p.maxHint(9);
        }
        assertThat(buf.size()).isZero();
        try (Progress p = Progress.none()) {
            assertThat(p.isShown()).isFalse();
            p.step();
            p.stepBy(3);
            p.maxHint(7);
            assertThat(p.isShown()).isFalse();
        }
    }
}
