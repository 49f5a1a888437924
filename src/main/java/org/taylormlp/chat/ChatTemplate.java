package org.taylormlp.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import org.taylormlp.TaylorMlpException;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a conversation into the prompt text a model was trained on.
 *
 * <p>{@link #jinja} renders a Hugging Face style chat template (GGUF {@code tokenizer.chat_template} or
 * {@code tokenizer_config.json}) with Jinjava, in the environment the {@code transformers} library gives it:
 * {@code trim_blocks} and {@code lstrip_blocks} on, variables {@code messages} (a list of
 * {@code {role, content}} maps), {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, and the
 * functions {@code raise_exception(message)} (fails the rendering with that message) and
 * {@code strftime_now(format)}.
 *
 * <p>{@link #plain} is the fallback for base models that ship no template: there is no notion of turns, so the
 * conversation is one running text that the model continues. The contents of the messages are joined in
 * order, with a single space between two messages when neither the end of the first nor the start of the
 * second is whitespace; roles are not written. A single user message is therefore exactly the completion
 * prompt ("Once upon a time" → the model continues the story), and a previous reply (which usually starts
 * with a space) follows the text it continued without a gap.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ChatTemplate {
    /** Largest rendered prompt, in characters (a runaway template loop fails instead of filling memory). */
    private static final long MAX_OUTPUT_CHARS = 16L << 20;

    private final String source;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    private ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.jinjava = source == null ? null : newJinjava();
    }

    /** A template from Jinja source, with the text of the model's BOS and EOS tokens ({@code <s>}, {@code </s>}). */
    public static ChatTemplate jinja(String source, String bosToken, String eosToken) {
        if (source == null || source.isBlank()) throw new IllegalArgumentException("empty chat template");
        ChatTemplate t = new ChatTemplate(source, bosToken, eosToken);
        // surface syntax errors when the model is opened, not on the first request; a template may reject this
        // probe conversation on purpose (raise_exception), which is fine
        try {
            t.render(List.of(ChatMessage.user("test")), true);
        } catch (RejectedConversationException ignored) {
            // the template works; it just wants another conversation
        }
        return t;
    }

    /** The fallback for models without a template; see the class comment. */
    public static ChatTemplate plain() {
        return new ChatTemplate(null, "", "");
    }

    /** True for the {@link #plain} fallback. */
    public boolean isPlain() { return source == null; }

    /** The Jinja source, or null for the plain fallback. */
    public String source() { return source; }

    public String bosToken() { return bosToken; }

    public String eosToken() { return eosToken; }

    /**
     * Renders {@code messages}; with {@code addGenerationPrompt} the text that opens an assistant turn is
     * appended (ignored by the plain fallback, which has no turns).
     *
     * @throws RejectedConversationException if the template calls {@code raise_exception}, e.g. for roles
     *                                        that do not alternate
     * @throws TaylorMlpException            if the template fails otherwise
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (source == null) return joinPlain(messages);
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", msgs);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", bosToken);
        bindings.put("eos_token", eosToken);
        RenderResult r;
        try {
            r = jinjava.renderForResult(source, bindings);
        } catch (RuntimeException e) {
            if (rootCause(e) instanceof RaisedException raised) throw new RejectedConversationException("chat template: " + raised.getMessage());
            throw new TaylorMlpException("chat template failed: " + e.getMessage(), e);
        }
        for (TemplateError err : r.getErrors()) {
            if (err.getSeverity() == TemplateError.ErrorType.FATAL) {
                String raised = raisedMessage(err);
                if (raised != null) throw new RejectedConversationException("chat template: " + raised);
                throw new TaylorMlpException("chat template failed at line " + err.getLineno() + ": " + err.getMessage());
            }
        }
        return r.getOutput();
    }

    static String joinPlain(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            String c = m.content();
            if (c.isEmpty()) continue;
            if (!sb.isEmpty() && !Character.isWhitespace(sb.charAt(sb.length() - 1)) && !Character.isWhitespace(c.charAt(0))) {
                sb.append(' ');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static Jinjava newJinjava() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .withMaxRenderDepth(20)
                .withFailOnUnknownTokens(false)
                // message text is data: never render Jinja written inside it
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        try {
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    ChatTemplate.class.getDeclaredMethod("raiseException", Object.class)));
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    ChatTemplate.class.getDeclaredMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
        return j;
    }

    /** The template refused the conversation through {@code raise_exception} (e.g. roles that do not alternate). */
    public static final class RejectedConversationException extends TaylorMlpException {
        RejectedConversationException(String message) { super(message); }
    }

    /** Thrown by {@code raise_exception} inside a template. */
    static final class RaisedException extends RuntimeException {
        RaisedException(String message) { super(message); }
    }

    /** {@code raise_exception(message)}: aborts rendering with the template's message. */
    public static Object raiseException(Object message) {
        throw new RaisedException(String.valueOf(message));
    }

    /** {@code strftime_now(format)}: the current local time in a Python {@code strftime} format. */
    public static String strftimeNow(String format) {
        return strftime(ZonedDateTime.now(), format);
    }

    /** The subset of Python's {@code strftime} that chat templates use (dates in headers). */
    static String strftime(ZonedDateTime t, String format) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char f = format.charAt(++i);
            switch (f) {
                case 'd' -> sb.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> sb.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format("%02d", t.getYear() % 100));
                case 'H' -> sb.append(String.format("%02d", t.getHour()));
                case 'M' -> sb.append(String.format("%02d", t.getMinute()));
                case 'S' -> sb.append(String.format("%02d", t.getSecond()));
                case 'b' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'j' -> sb.append(String.format("%03d", t.getDayOfYear()));
                case 'F' -> sb.append(t.format(DateTimeFormatter.ISO_LOCAL_DATE));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(f);
            }
        }
        return sb.toString();
    }

    private static String raisedMessage(TemplateError err) {
        for (Throwable t = err.getException(); t != null; t = t.getCause()) {
            if (t instanceof RaisedException r) return r.getMessage();
        }
        String m = err.getMessage();
        return m != null && m.contains(RaisedException.class.getSimpleName()) ? m : null;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
