package org.taylormlp.chat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.tokenizer.TokenStreamDecoder;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class CompletionSessionTest {
    static Engine engine;
    static Tokenizer tok;

    @BeforeAll
    static void open() {
        engine = Engine.open(TestFiles.smallModel(), null, 2, 512);
        tok = engine.model().tokenizer();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Text of {@code tokens} generated after {@code prompt}, decoded as a stream. */
    static String decodeAfter(Tokenizer tok, int[] prompt, int[] tokens) {
        TokenStreamDecoder d = new TokenStreamDecoder(tok, prompt[prompt.length - 1]);
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) sb.append(d.accept(t));
        return sb.append(d.flush()).toString();
    }

    private static CompletionSession.Request greedy(int[] prompt, int n) {
        return new CompletionSession.Request(prompt, n, Sampler.greedy());
    }

    @Test
    void withoutReuseEqualsTheGenerator() {
        int[] prompt = tok.encode("Once upon a time", true);
        Generator.Result ref = new Generator(engine.transformer(), tok).generate(prompt, 40, Sampler.greedy(), null);
        CompletionSession s = new CompletionSession(engine.transformer(), tok, false);
        List<String> pieces = new ArrayList<>();
        CompletionSession.Result r = s.run(greedy(prompt, 40), pieces::add, null);
        assertThat(r.text()).isEqualTo(decodeAfter(tok, prompt, ref.tokens())).isEqualTo(String.join("", pieces));
        assertThat(pieces).hasSizeGreaterThan(10).doesNotContain("");
        assertThat(r.completionTokens()).isEqualTo(ref.tokens().length).isEqualTo(40);
        assertThat(r.finish()).isEqualTo(CompletionSession.Finish.LENGTH);
        assertThat(r.promptTokens()).isEqualTo(prompt.length);
        assertThat(r.reusedTokens()).isZero();
        // same again: nothing carried over
        assertThat(s.run(greedy(prompt, 40), null, null).text()).isEqualTo(r.text());
    }

    @Test
    void samplingIsReproducibleForASeed() {
        int[] prompt = tok.encode("Tom had a dog", true);
        CompletionSession s = new CompletionSession(engine.transformer(), tok, false);
        String a = s.run(new CompletionSession.Request(prompt, 30, new Sampler(1f, 0.9f, 0, 42)), null, null).text();
        String b = s.run(new CompletionSession.Request(prompt, 30, new Sampler(1f, 0.9f, 0, 42)), null, null).text();
        String c = s.run(new CompletionSession.Request(prompt, 30, new Sampler(1f, 0.9f, 0, 43)), null, null).text();
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void reuseKeepsTheCommonPrefixAndGivesTheSameText() {
        CompletionSession fresh = new CompletionSession(engine.transformer(), tok, false);
        CompletionSession reusing = new CompletionSession(engine.transformer(), tok, true);
        int[] first = tok.encode("Lily went to the park", true);
        CompletionSession.Result r1 = reusing.run(greedy(first, 20), null, null);
        assertThat(r1.reusedTokens()).isZero();
        // the next turn: the previous prompt + reply (re-encoded) + new text
        int[] second = tok.encode("Lily went to the park" + r1.text() + " Then she", true);
        CompletionSession.Result r2 = reusing.run(greedy(second, 20), null, null);
        assertThat(r2.reusedTokens()).isGreaterThanOrEqualTo(first.length);
        assertThat(r2.text()).isEqualTo(fresh.run(greedy(second, 20), null, null).text());
        // a prompt that diverges at once reuses only BOS
        int[] other = tok.encode("A big red ball", true);
        CompletionSession.Result r3 = reusing.run(greedy(other, 10), null, null);
        assertThat(r3.reusedTokens()).isEqualTo(1);
        assertThat(r3.text()).isEqualTo(fresh.run(greedy(other, 10), null, null).text());
        // the identical prompt again: all but the last token reused (its logits are needed)
        assertThat(reusing.run(greedy(other, 10), null, null).reusedTokens()).isEqualTo(other.length - 1);
        reusing.reset();
        assertThat(reusing.run(greedy(other, 10), null, null).reusedTokens()).isZero();
    }

    @Test
    void stopSequenceEndsGenerationAndIsNotInTheText() {
        CompletionSession s = new CompletionSession(engine.transformer(), tok, false);
        int[] prompt = tok.encode("Once upon a time", true);
        String full = s.run(greedy(prompt, 60), null, null).text();
        // a word from the middle of the greedy continuation
        int at = full.indexOf(' ', full.length() / 2);
        String stop = full.substring(at, full.indexOf(' ', at + 1));
        List<String> pieces = new ArrayList<>();
        CompletionSession.Result r = s.run(new CompletionSession.Request(prompt, 60, Sampler.greedy(), List.of(stop), false),
                pieces::add, null);
        assertThat(r.finish()).isEqualTo(CompletionSession.Finish.STOP);
        assertThat(r.text()).isEqualTo(full.substring(0, full.indexOf(stop))).isEqualTo(String.join("", pieces));
        assertThat(r.completionTokens()).isLessThan(60);
    }

    @Test
    void cancelStopsBeforeTheNextToken() {
        CompletionSession s = new CompletionSession(engine.transformer(), tok, false);
        AtomicInteger pieces = new AtomicInteger();
        CompletionSession.Result r = s.run(greedy(tok.encode("Once upon a time", true), 100), p -> pieces.incrementAndGet(),
                () -> pieces.get() >= 5);
        assertThat(r.finish()).isEqualTo(CompletionSession.Finish.CANCELLED);
        assertThat(r.completionTokens()).isBetween(5, 8);
    }

    @Test
    void endsAtTheEndOfTheContext() {
        try (Engine small = Engine.open(TestFiles.smallModel(), null, 1, 24)) {
            CompletionSession s = new CompletionSession(small.transformer(), tok, true);
            int[] prompt = tok.encode("Once upon a time there was", true);
            CompletionSession.Result r = s.run(new CompletionSession.Request(prompt, 100, Sampler.greedy(), List.of(), true), null, null);
            assertThat(r.finish()).isEqualTo(CompletionSession.Finish.LENGTH);
            assertThat(r.contextFull()).isTrue();
            // positions prompt.length..23 are filled by fed-back tokens, plus the last sampled one
            assertThat(r.completionTokens()).isEqualTo(24 - prompt.length + 1);

            int[] tooLong = new int[25];
            Arrays.fill(tooLong, 5);
            assertThatThrownBy(() -> s.run(greedy(tooLong, 1), null, null))
                    .isInstanceOf(TaylorMlpException.class).hasMessageContaining("exceeds the context of 24");
            assertThatThrownBy(() -> s.run(greedy(new int[0], 1), null, null)).isInstanceOf(TaylorMlpException.class);
        }
    }
}
