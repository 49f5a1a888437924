package org.taylormlp.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StopSequencesTest {
    /** Feeds the pieces, returns everything released (including the final flush). */
    private static String run(StopSequences s, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) out.append(s.accept(p));
        return out.append(s.flush()).toString();
    }

    @Test
    void noStopsPassesEverythingThroughAtOnce() {
        StopSequences s = StopSequences.none();
        assertThat(s.accept("abc")).isEqualTo("abc");
        assertThat(s.stopped()).isFalse();
    }

    @Test
    void cutsAtAStopSpreadOverSeveralPieces() {
        StopSequences s = new StopSequences(List.of("\n\n"));
        assertThat(s.accept("Hello")).isEqualTo("Hello");
        assertThat(s.accept(" world\n")).isEqualTo(" world"); // the newline may start the stop
        assertThat(s.stopped()).isFalse();
        assertThat(s.accept("\nmore")).isEmpty();
        assertThat(s.stopped()).isTrue();
        assertThat(s.accept("ignored")).isEmpty();
        assertThat(s.flush()).isEmpty();
    }

    @Test
    void releasesHeldTextWhenItTurnsOutNotToBeAStop() {
        StopSequences s = new StopSequences(List.of("END"));
        assertThat(s.accept("the E")).isEqualTo("the ");
        assertThat(s.accept("N")).isEmpty();
        assertThat(s.accept("D")).isEmpty();
        assertThat(s.stopped()).isTrue();

        assertThat(run(new StopSequences(List.of("END")), "the E", "Nd", " of it")).isEqualTo("the ENd of it");
        assertThat(run(new StopSequences(List.of("END")), "ends with E", "N")).isEqualTo("ends with EN");
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopSequences s = new StopSequences(List.of("cat", "a c", ""));
        assertThat(run(s, "I saw a cat")).isEqualTo("I saw ");
        assertThat(s.stopped()).isTrue();
        assertThat(run(new StopSequences(List.of("xyz", "b")), "aaab")).isEqualTo("aaa");
    }

    @Test
    void stopInsideASinglePiece() {
        StopSequences s = new StopSequences(List.of("."));
        assertThat(s.accept("One. Two.")).isEqualTo("One");
        assertThat(s.stopped()).isTrue();
    }
}
