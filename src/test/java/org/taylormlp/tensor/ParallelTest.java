package org.taylormlp.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            try (Parallel p = new Parallel(threads)) {
                for (int n : new int[] {0, 1, 2, 7, 100, 1001}) {
                    for (int grain : new int[] {1, 3, 64, 5000}) {
                        AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(n, 1));
                        for (int rep = 0; rep < 20; rep++) {
                            p.forRange(n, grain, (s, e) -> {
                                assertThat(e - s).isBetween(1, grain);
                                for (int i = s; i < e; i++) seen.incrementAndGet(i);
                            });
                        }
                        for (int i = 0; i < n; i++) assertThat(seen.get(i)).as("n=%d grain=%d i=%d", n, grain, i).isEqualTo(20);
                    }
                }
            }
        }
    }

    @Test
    void usesSeveralThreadsAndNestsInline() {
        try (Parallel p = new Parallel(2)) {
            AtomicInteger nested = new AtomicInteger();
            p.forRange(64, 1, (s, e) -> p.forRange(10, 1, (a, b) -> nested.addAndGet(b - a)));
            assertThat(nested.get()).isEqualTo(640);
        }
    }

    @Test
    void exceptionsReachTheCallerAndThePoolSurvives() {
        try (Parallel p = new Parallel(2)) {
            for (int rep = 0; rep < 10; rep++) {
                assertThatThrownBy(() -> p.forRange(100, 1, (s, e) -> {
                    if (s == 57) throw new IllegalStateException("boom");
                })).isInstanceOf(IllegalStateException.class).hasMessage("boom");
                AtomicInteger sum = new AtomicInteger();
                p.forRange(100, 7, (s, e) -> sum.addAndGet(e - s));
                assertThat(sum.get()).isEqualTo(100);
            }
        }
    }

    @Test
    void workersWakeFromPark() throws InterruptedException {
        try (Parallel p = new Parallel(2)) {
            Thread.sleep(5); // longer than the spin time: workers park
            AtomicInteger sum = new AtomicInteger();
            p.forRange(1000, 1, (s, e) -> sum.addAndGet(e - s));
            assertThat(sum.get()).isEqualTo(1000);
        }
    }

    @Test
    void manyTinyJobsOfChangingSizeNeverMixUp() {
        try (Parallel p = new Parallel(2)) {
            int[] counts = new int[64];
            AtomicInteger bad = new AtomicInteger();
            for (int job = 0; job < 100_000; job++) {
                int n = 2 + job % 61;
                int tag = job;
                int[] mark = new int[n];
                java.util.Arrays.fill(mark, -1);
                p.forRange(n, 1 + job % 3, (s, e) -> {
                    for (int i = s; i < e; i++) {
                        if (i >= n || mark[i] != -1) bad.incrementAndGet();
                        else mark[i] = tag;
                    }
                });
                for (int i = 0; i < n; i++) if (mark[i] != tag) bad.incrementAndGet();
                counts[n]++;
            }
            assertThat(bad.get()).isZero();
        }
    }
}
