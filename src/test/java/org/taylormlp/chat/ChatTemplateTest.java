package org.taylormlp.chat;

import org.junit.jupiter.api.Test;
import org.taylormlp.TaylorMlpException;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real chat templates (as stored in {@code tokenizer_config.json}, i.e. with {@code \n} escapes inside Jinja
 * string literals) render to the strings their semantics define.
 */
class ChatTemplateTest {
    static final String CHATML = ChatTemplates.CHATML, LLAMA2 = ChatTemplates.LLAMA2, LLAMA3 = ChatTemplates.LLAMA3,
            ZEPHYR = ChatTemplates.ZEPHYR;

    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are helpful."),
            ChatMessage.user("Hi"),
            ChatMessage.assistant("Hello!"),
            ChatMessage.user("How are you?"));

    @Test
    void chatml() {
        ChatTemplate t = ChatTemplate.jinja(CHATML, "", "<|im_end|>");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<|im_start|>system\nYou are helpful.<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n"
                        + "<|im_start|>assistant\nHello!<|im_end|>\n"
                        + "<|im_start|>user\nHow are you?<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.user("x")), false)).isEqualTo("<|im_start|>user\nx<|im_end|>\n");
    }

    @Test
    void jinjaInsideMessagesIsNotInterpreted() {
        ChatTemplate t = ChatTemplate.jinja(CHATML, "", "<|im_end|>");
        String evil = "{{ 7 * 7 }} {% for x in range(3) %}x{% endfor %} {{ raise_exception('boom') }}";
        assertThat(t.render(List.of(ChatMessage.user(evil)), false)).isEqualTo("<|im_start|>user\n" + evil + "<|im_end|>\n");
    }

    @Test
    void llama2WithSystemPromptFoldedIntoFirstTurn() {
        ChatTemplate t = ChatTemplate.jinja(LLAMA2, "<s>", "</s>");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
                        + "<s>[INST] How are you? [/INST]");
        assertThat(t.render(List.of(ChatMessage.user("  Tell me a story. ")), true))
                .isEqualTo("<s>[INST] Tell me a story. [/INST]");
    }

    @Test
    void raiseExceptionFailsWithTheTemplatesMessage() {
        ChatTemplate t = ChatTemplate.jinja(LLAMA2, "<s>", "</s>");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true))
                .isInstanceOf(ChatTemplate.RejectedConversationException.class)
                .hasMessageContaining("Conversation roles must alternate");
    }

    @Test
    void aTemplateThatRejectsTheProbeConversationStillLoads() {
        ChatTemplate t = ChatTemplate.jinja("{% if messages[0]['role'] != 'system' %}{{ raise_exception('system first') }}"
                + "{% endif %}{% for m in messages %}{{ m['content'] }};{% endfor %}", "", "");
        assertThat(t.render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), true)).isEqualTo("s;u;");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("u")), true))
                .isInstanceOf(ChatTemplate.RejectedConversationException.class).hasMessage("chat template: system first");
    }

    @Test
    void llama3TrimsContentAndStartsWithBos() {
        ChatTemplate t = ChatTemplate.jinja(LLAMA3, "<|begin_of_text|>", "<|end_of_text|>");
        assertThat(t.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user(" Hi \n")), true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void trimAndLstripBlocksAsInTransformers() {
        ChatTemplate t = ChatTemplate.jinja(ZEPHYR, "<s>", "</s>");
        assertThat(t.render(List.of(ChatMessage.system("S"), ChatMessage.user("U")), true))
                .isEqualTo("<|system|>\nS</s>\n<|user|>\nU</s>\n<|assistant|>\n");
    }

    @Test
    void namespaceAndStrftime() {
        String src = "{% set ns = namespace(found=false) %}{% for m in messages %}{% if m['role'] == 'system' %}"
                + "{% set ns.found = true %}{% endif %}{% endfor %}{{ 'sys' if ns.found else 'nosys' }}|{{ strftime_now('%Y') | length }}";
        ChatTemplate t = ChatTemplate.jinja(src, "", "");
        assertThat(t.render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), true)).isEqualTo("sys|4");
        assertThat(t.render(List.of(ChatMessage.user("u")), true)).isEqualTo("nosys|4");
    }

    @Test
    void strftimeSubset() {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 26, 9, 5, 3, 0, ZoneOffset.UTC);
        assertThat(ChatTemplate.strftime(t, "%d %b %Y %H:%M:%S %%")).isEqualTo("26 Jul 2024 09:05:03 %");
        assertThat(ChatTemplate.strftime(t, "%A %B %y-%m %j")).isEqualTo("Friday July 24-07 208");
    }

    @Test
    void syntaxErrorsAreReportedWhenTheTemplateIsLoaded() {
        assertThatThrownBy(() -> ChatTemplate.jinja("{% for m in messages %}{{ m['content'] }}", "", ""))
                .isInstanceOf(TaylorMlpException.class)
                .hasMessageContaining("chat template");
    }

    @Test
    void plainFallbackIsOneRunningText() {
        ChatTemplate t = ChatTemplate.plain();
        assertThat(t.isPlain()).isTrue();
        assertThat(t.render(List.of(ChatMessage.user("Once upon a time")), true)).isEqualTo("Once upon a time");
        // a reply starting with a space follows directly; the next user text is separated by one space
        assertThat(t.render(List.of(ChatMessage.user("Once upon a time"), ChatMessage.assistant(" there was a cat."),
                ChatMessage.user("The cat")), true)).isEqualTo("Once upon a time there was a cat. The cat");
        assertThat(t.render(List.of(ChatMessage.system("Story:\n"), ChatMessage.user("Tom ran.")), true))
                .isEqualTo("Story:\nTom ran.");
        assertThat(t.render(List.of(), true)).isEmpty();
    }
}
