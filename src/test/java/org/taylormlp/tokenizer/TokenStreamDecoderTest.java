package org.taylormlp.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TokenStreamDecoderTest {
    static final ScoreBpeTokenizer STORIES15M = ScoreBpeTokenizer.fromLlama2c(Reference.STORIES15M_TOKENIZER, 32000);

    @Test
    void multiByteCharacterSplitOverByteTokensIsEmittedWhole() {
        int[] ids = STORIES15M.encode("a😀b", false);
        // "😀" is not a piece: four byte tokens <0xF0> <0x9F> <0x98> <0x80>
        assertThat(ids).contains(3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80);
        TokenStreamDecoder d = new TokenStreamDecoder(STORIES15M);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) pieces.add(d.accept(id));
        pieces.add(d.flush());
        assertThat(pieces).doesNotContain("\uFFFD").contains("😀");
        assertThat(String.join("", pieces)).isEqualTo(" a😀b");
        assertThat(pieces.stream().filter(String::isEmpty).count()).isEqualTo(3 + 1); // 3 held back, empty flush
    }

    @Test
    void streamingTheReferenceAfterBosGivesTheDecodedText() {
        int[] ids = Reference.greedyIds("stories15M");
        TokenStreamDecoder d = new TokenStreamDecoder(STORIES15M, STORIES15M.bosId());
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.accept(id));
        sb.append(d.flush());
        assertThat(sb.toString()).isEqualTo(Reference.greedyText("stories15M").replace("<0x0A>", "\n"));
    }

    @Test
    void completePrefixLengthHoldsBackOnlyIncompleteSequences() {
        assertThat(TokenStreamDecoder.completePrefixLength(bytes("abc"))).isEqualTo(3);
        assertThat(TokenStreamDecoder.completePrefixLength(new byte[0])).isEqualTo(0);
        byte[] snowman = bytes("x☃"); // 78 E2 98 83
        assertThat(TokenStreamDecoder.completePrefixLength(snowman)).isEqualTo(4);
        assertThat(TokenStreamDecoder.completePrefixLength(java.util.Arrays.copyOf(snowman, 3))).isEqualTo(1);
        assertThat(TokenStreamDecoder.completePrefixLength(java.util.Arrays.copyOf(snowman, 2))).isEqualTo(1);
        byte[] emoji = bytes("😀");
        assertThat(TokenStreamDecoder.completePrefixLength(java.util.Arrays.copyOf(emoji, 3))).isEqualTo(0);
        // malformed: stray continuation bytes, invalid lead bytes, lead byte followed by ASCII
        assertThat(TokenStreamDecoder.completePrefixLength(new byte[] {(byte) 0x80, (byte) 0x80})).isEqualTo(2);
        assertThat(TokenStreamDecoder.completePrefixLength(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80}))
                .isEqualTo(5);
        assertThat(TokenStreamDecoder.completePrefixLength(new byte[] {'a', (byte) 0xFF})).isEqualTo(2);
        assertThat(TokenStreamDecoder.completePrefixLength(new byte[] {(byte) 0xE2, 'a'})).isEqualTo(2);
    }

    @Test
    void malformedBytesBecomeReplacementCharacters() {
        TokenStreamDecoder d = new TokenStreamDecoder(STORIES15M);
        assertThat(d.acceptBytes(new byte[] {'a', (byte) 0xE2})).isEqualTo("a");
        assertThat(d.pendingBytes()).isEqualTo(1);
        assertThat(d.acceptBytes(new byte[] {'b'})).isEqualTo("\uFFFDb");
        assertThat(d.acceptBytes(new byte[] {(byte) 0xF0, (byte) 0x9F})).isEmpty();
        assertThat(d.flush()).isEqualTo("\uFFFD");
        assertThat(d.pendingBytes()).isZero();
        assertThat(d.flush()).isEmpty();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
