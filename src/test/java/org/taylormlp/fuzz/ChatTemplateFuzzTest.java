package org.taylormlp.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.taylormlp.chat.ChatMessage;
import org.taylormlp.chat.ChatTemplate;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Chat templates (Jinja source from a model's metadata, rendered by jinjava): opening and rendering a
 * conversation. Bound: 512 MiB allocated per input (garbage included), since a template may legitimately build
 * text up to the 16 Mi-character output cap.
 */
class ChatTemplateFuzzTest {
    private static final FuzzHarness.Bound BOUND = new FuzzHarness.Bound(512L << 20, 1024);

    @FuzzTest
    void fuzz(byte[] in) {
        String src = new String(in, StandardCharsets.UTF_8);
        if (src.isBlank()) return; // callers treat a blank template as "no template" (ChatTemplate.jinja's contract)
        FuzzHarness.check("chat-template", in, BOUND, null, dir -> {
            ChatTemplate t = ChatTemplate.jinja(src, "<s>", "</s>");
            t.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"),
                    ChatMessage.user("Tell me a story.")), true);
        });
    }
}
