package org.taylormlp.chat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Prompt encoding on the real stories260K SentencePiece-style vocabulary (BOS "\n<s>\n", EOS "\n</s>\n"). */
class PromptEncoderTest {
    static Engine engine;
    static Tokenizer tok;

    @BeforeAll
    static void open() {
        engine = Engine.open(TestFiles.smallModel(), null, 1, 512);
        tok = engine.model().tokenizer();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static int[] concat(int[]... parts) {
        return java.util.Arrays.stream(parts).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    @Test
    void baseModelUsesThePlainFallback() {
        PromptEncoder p = PromptEncoder.forTokenizer(tok);
        assertThat(p.template().isPlain()).isTrue();
        assertThat(p.encodeCompletion("Once upon a time")).containsExactly(tok.encode("Once upon a time", true));
        assertThat(p.encodeChat(List.of(ChatMessage.user("Once upon a time"))))
                .containsExactly(tok.encode("Once upon a time", true));
        assertThat(p.encodeChat(List.of(ChatMessage.user("Tom ran."), ChatMessage.assistant(" He fell."), ChatMessage.user("Then"))))
                .containsExactly(tok.encode("Tom ran. He fell. Then", true));
        // an empty prompt is BOS alone
        assertThat(p.encodeCompletion("")).containsExactly(tok.bosId());
    }

    @Test
    void specialTokensWrittenByTheTemplateBecomeTheirIds() {
        PromptEncoder p = PromptEncoder.withTemplate(tok,
                "{% for m in messages %}{{ bos_token }}{{ m['content'] }}{{ eos_token }}{% endfor %}");
        assertThat(p.template().bosToken()).isEqualTo("\n<s>\n");
        int[] ids = p.encodeChat(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Yo")));
        // no second BOS in front of the template's own
        assertThat(ids).containsExactly(concat(new int[]{1}, tok.encode("Hi", false), new int[]{2, 1}, tok.encode("Yo", false),
                new int[]{2}));
    }

    @Test
    void bosIsAddedWhenTheTemplateDoesNotWriteIt() {
        PromptEncoder p = PromptEncoder.withTemplate(tok, "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}");
        int[] ids = p.encodeChat(List.of(ChatMessage.user("Hi")));
        assertThat(ids).containsExactly(concat(new int[]{1}, tok.encode("[user] Hi\n", false)));
    }
}
