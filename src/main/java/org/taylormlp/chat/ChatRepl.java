package org.taylormlp.chat;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.generate.Sampler;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The interactive chat loop: reads a line, answers it with the model streaming to {@code out}, prints the speed
 * to {@code err}, and keeps the conversation so each answer sees the turns before it.
 *
 * <p>Each turn the whole conversation is rendered and tokenized again; the {@link CompletionSession} (built
 * with prefix reuse) keeps the KV cache of the common prefix, so only the new tokens are run through the
 * model. When the conversation no longer fits the context the turn is refused with a message and the
 * conversation is left as it was ({@code /reset} starts over).
 *
 * <p>Commands: {@code /reset} clears the conversation (keeping the system prompt), {@code /exit} or
 * {@code /quit} (and end of input) quit, {@code /help} lists them.
 */
public final class ChatRepl {
    /** Sampling and length settings; {@code system} may be null. */
    public record Options(int maxReplyTokens, float temperature, float topP, int topK, long seed, String system) {
        public Options {
            if (maxReplyTokens < 1) throw new IllegalArgumentException("-n must be >= 1, got " + maxReplyTokens);
        }
    }

    private final CompletionSession session;
    private final PromptEncoder prompts;
    private final Options options;
    private final Sampler sampler;
    private final List<ChatMessage> conversation = new ArrayList<>();

    public ChatRepl(CompletionSession session, PromptEncoder prompts, Options options) {
        this.session = session;
        this.prompts = prompts;
        this.options = options;
        this.sampler = new Sampler(options.temperature(), options.topP(), options.topK(), options.seed());
        reset();
    }

    private void reset() {
        conversation.clear();
        if (options.system() != null && !options.system().isEmpty()) conversation.add(ChatMessage.system(options.system()));
    }

    /** The conversation so far (system prompt, user and assistant turns). */
    public List<ChatMessage> conversation() { return List.copyOf(conversation); }

    /**
     * Runs until {@code /exit} or the end of {@code in}.
     *
     * @param prompt printed to {@code out} before each line is read (e.g. "> " on a terminal), may be empty
     */
    public void run(BufferedReader in, PrintStream out, PrintStream err, String prompt) throws IOException {
        while (true) {
            if (!prompt.isEmpty()) {
                out.print(prompt);
                out.flush();
            }
            String line = in.readLine();
            if (line == null) break;
            String text = line.strip();
            if (text.isEmpty()) continue;
            if (text.startsWith("/")) {
                switch (text) {
                    case "/exit", "/quit" -> {
                        return;
                    }
                    case "/reset" -> {
                        reset();
                        err.println("(conversation cleared)");
                    }
                    default -> err.println("commands: /reset (start a new conversation), /exit (quit), /help");
                }
                continue;
            }
            turn(line, out, err);
        }
    }

    /** Answers one user message; returns the reply, or null when the turn was refused. */
    String turn(String userText, PrintStream out, PrintStream err) {
        conversation.add(ChatMessage.user(userText));
        int[] ids;
        try {
            ids = prompts.encodeChat(conversation);
        } catch (TaylorMlpException e) {
            conversation.removeLast();
            err.println("error: " + e.getMessage());
            return null;
        }
        int ctx = session.maxContext();
        if (ids.length >= ctx) {
            conversation.removeLast();
            err.printf("context full: the conversation with this message takes %d tokens and the context holds %d;"
                    + " /reset to start a new conversation%n", ids.length, ctx);
            return null;
        }
        CompletionSession.Result r = session.run(new CompletionSession.Request(ids, options.maxReplyTokens(), sampler),
                piece -> {
                    out.print(piece);
                    out.flush();
                }, null);
        out.println();
        out.flush();
        conversation.add(ChatMessage.assistant(r.text()));
        err.printf("[%d tokens, %.1f tok/s; prompt %d tokens (%d cached)]%n", r.completionTokens(), r.decodeTokensPerSecond(),
                r.promptTokens(), r.reusedTokens());
        if (r.contextFull()) err.println("(the context is full: /reset to start a new conversation)");
        return r.text();
    }
}
