package org.taylormlp.robust;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bad-input table's properties, for every row kind of {@link BadInputTable} in every format, in its fast size
 * (5 truncation offsets, 4 bit flips, one JVM per format; the table's full size is {@link BadInputTableSlowTest}):
 * exit codes only 0, 1 or 2; never a stack trace, an NPE or a JVM that dies; every variant under 60 s and every
 * JVM under 1.5 GiB peak RSS (heap limit 1 GiB); a damaged GGUF, safetensors file or release is never reported as a
 * llama2.c checkpoint; appended bytes: a GGUF file runs with a notice, the other formats are refused; 4 KiB of
 * damage in a release's data fails its digest check naming the tensor, and so do NaN/Inf weights written into a
 * release; NaN/Inf weights in the other formats (and in a release loaded with --no-verify) fail generation with the
 * non-finite-logit error; a model file truncated under a running server fails that request with HTTP 500 and a
 * clear message while the server stays up and answers /health.
 */
class BadInputTableTest {
    @TempDir
    Path work;

    @Test
    void everyDamagedFileGetsAClearErrorWithinBounds() throws Exception {
        List<BadInputTable.Row> rows = BadInputTable.run(work, BadInputTable.Size.FAST);
        System.out.print(BadInputTable.markdown(rows, "test run, fast size"));
        check(rows);
    }

    static void check(List<BadInputTable.Row> rows) {
        assertThat(rows).as("8 cases and the serve row for GGUF, HF folder and release (and NaN with --no-verify); 6 and serve for llama2.c").hasSize(3 * 9 + 7 + 1);
        for (BadInputTable.Row r : rows) {
            String what = r.format() + " / " + r.kase() + ": " + r.outcomes();
            assertThat(r.note()).as(what).isNull();
            assertThat(r.outcomes()).as(what).isNotEmpty();
            for (BadInputTable.Outcome o : r.outcomes()) {
                assertThat(o.stackTrace()).as(what).isFalse();
                assertThat(o.error()).as(what).doesNotContain("NullPointerException").doesNotContain("Exception in thread");
                assertThat(o.millis()).as(what).isLessThan(60_000);
                if (!r.format().equals("llama2.c")) assertThat(o.error()).as(what).doesNotContain("llama2.c");
            }
            assertThat(r.peakKib()).as(what).isBetween(1L, 1536L << 10);
            if (r.kase().contains("serve")) {
                BadInputTable.Outcome o = r.outcomes().get(0);
                assertThat(o.code()).as(what).isEqualTo(500);
                assertThat(o.error()).as(what).contains("changed or truncated while it was mapped");
                assertThat(o.output()).as(what).contains("before truncation: HTTP 200").contains("/health 200").contains("alive");
                continue;
            }
            assertThat(Set.of(0, 1, 2)).as(what).containsAll(r.codes());
            for (BadInputTable.Outcome o : r.outcomes()) {
                if (o.code() != 0) assertThat(o.error()).as(what).startsWith("error: ");
            }
            if (r.kase().startsWith("NaN")) {
                for (BadInputTable.Outcome o : r.outcomes()) {
                    assertThat(o.code()).as(what).isEqualTo(1);
                    if (r.format().equals("release") && !r.kase().contains("--no-verify")) {
                        assertThat(o.error()).as(what).contains("tensor 'blk.0.attn_norm.weight' is damaged: the SHA-256");
                    } else {
                        assertThat(o.error()).as(what).contains("non-finite logit");
                    }
                }
            }
            if (r.kase().startsWith("truncated") || r.kase().startsWith("header claims") || r.kase().startsWith("duplicate")
                    || r.kase().startsWith("overlapping")) {
                assertThat(r.codes()).as(what).containsOnly(1);
            }
            if (r.kase().contains("appended")) {
                BadInputTable.Outcome o = r.outcomes().get(0);
                if (r.format().equals("GGUF")) {
                    assertThat(o.code()).as(what).isZero();
                    assertThat(o.error()).as(what).startsWith("notice: ").contains("4096 bytes after the last tensor");
                } else {
                    assertThat(o.code()).as(what).isEqualTo(1);
                    assertThat(o.error()).as(what).contains("after the last tensor");
                }
            }
            if (r.kase().startsWith("4 KiB corrupted") && r.format().equals("release")) {
                BadInputTable.Outcome o = r.outcomes().get(0);
                assertThat(o.code()).as(what).isEqualTo(1);
                assertThat(o.error()).as(what).containsPattern("tensor '[^']+' is damaged: the SHA-256");
            }
        }
    }
}
