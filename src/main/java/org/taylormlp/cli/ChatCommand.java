package org.taylormlp.cli;

import org.taylormlp.runtime.Engine;
import org.taylormlp.chat.ChatRepl;
import org.taylormlp.chat.CompletionSession;
import org.taylormlp.chat.PromptEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model on stdin/stdout: replies stream to stdout, tok/s goes to stderr.",
                "Commands: /reset clears the conversation, /exit (or end of input) quits.",
                "Models with a chat template (GGUF tokenizer.chat_template, tokenizer_config.json) get their turns "
                        + "formatted by it; base models without one continue the running text of the conversation "
                        + "(your message is the prompt the model continues)."})
public final class ChatCommand implements Runnable {
    @Mixin
    ModelOptions opts;

    @Option(names = "-n", paramLabel = "N", description = "maximum tokens per reply (default: ${DEFAULT-VALUE})")
    int n = 512;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt (kept across /reset)")
    String system;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "Jinja chat template to use instead of the model's")
    Path chatTemplate;

    @Override
    public void run() {
        if (n < 1) throw new IllegalArgumentException("-n must be >= 1, got " + n);
        String template = readTemplate(chatTemplate);
        long s = sampling.seedOrClock();
        try (Engine e = opts.open()) {
            var tok = e.model().tokenizer();
            PromptEncoder prompts = template != null ? PromptEncoder.withTemplate(tok, template) : PromptEncoder.forTokenizer(tok);
            CompletionSession session = new CompletionSession(e.transformer(), tok, true);
            ChatRepl repl = new ChatRepl(session, prompts, new ChatRepl.Options(n, sampling.temperature, sampling.topP, sampling.topK, s, system));
            Console console = System.console();
            boolean interactive = console != null && console.isTerminal();
            System.err.printf("chat with %s (context %d tokens, %s); /reset clears, /exit quits%n", opts.model.getFileName(),
                    session.maxContext(), prompts.template().isPlain() ? "no chat template: plain continuation" : "chat template");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            repl.run(in, System.out, System.err, interactive ? "> " : "");
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    static String readTemplate(Path file) {
        if (file == null) return null;
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read chat template " + file + ": " + e.getMessage());
        }
    }
}
