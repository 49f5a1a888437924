package org.taylormlp.eval;

import org.junit.jupiter.api.Test;
import org.taylormlp.runtime.TextData;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The held-out split: eval skips exactly the paragraphs that calibrate/protect --max-tokens T read. */
class HeldOutTest {
    @Test
    void skipsExactlyTheParagraphsCalibrationReads() {
        Tokenizer tok = TaskTest.fakeTokenizer();
        List<String> ps = new ArrayList<>();
        for (int i = 0; i < 50; i++) ps.add("p".repeat(1 + (i * 7) % 23));
        for (long budget : new long[]{1, 10, 57, 100, 333, 10_000}) {
            for (int maxLen : new int[]{8, 1000}) {
                List<int[]> used = TextData.encode(tok, ps, budget, maxLen);
                int skip = HeldOutText.calibrationParagraphs(tok, ps, budget, maxLen);
                // every paragraph is >= 2 tokens with BOS, so calibration's k sequences are paragraphs 0..k-1 (the last maybe cut)
                int k = used.size();
                for (int i = 0; i < k; i++) {
                    int[] full = tok.encode(ps.get(i), true);
                    assertThat(full).startsWith(used.get(i));
                }
                assertThat(skip).as("no calibration paragraph leaks into the held-out part (budget %d, maxLen %d)", budget, maxLen)
                        .isGreaterThanOrEqualTo(k);
                assertThat(skip).as("at most one paragraph more than calibration read").isLessThanOrEqualTo(k + 1);
            }
        }
    }

    @Test
    void readsEverythingWithoutABudget() {
        Tokenizer tok = TaskTest.fakeTokenizer();
        assertThat(HeldOutText.calibrationParagraphs(tok, List.of("a", "bb", "ccc"), 0, 100)).isEqualTo(3);
        assertThat(HeldOutText.calibrationParagraphs(tok, List.of("a", "bb", "ccc"), 5, 100)).isEqualTo(2); // 2 + 3 tokens
        assertThat(HeldOutText.calibrationParagraphs(tok, List.of("a", "bb", "ccc"), 6, 100)).isEqualTo(3); // the third is cut
    }
}
