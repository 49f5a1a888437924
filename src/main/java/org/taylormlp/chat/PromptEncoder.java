package org.taylormlp.chat;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.tokenizer.ByteLevelBpeTokenizer;
import org.taylormlp.tokenizer.HfTokenizer;
import org.taylormlp.tokenizer.ScoreBpeTokenizer;
import org.taylormlp.tokenizer.TokenType;
import org.taylormlp.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns completion prompts and conversations into token ids for one model.
 *
 * <p>A conversation is rendered with the {@link ChatTemplate} (with the generation prompt), and the text is
 * tokenized with its special tokens ({@code <|im_start|>}, {@code <s>}, ...) written verbatim becoming their
 * single ids. BOS is prepended when the model wants one and the template did not already write it.
 * Under the {@link ChatTemplate#plain() plain} fallback the conversation text is encoded like a completion
 * prompt, with no special-token parsing.
 *
 * <p>Immutable and thread-safe (the tokenizers are).
 */
public final class PromptEncoder {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    /** Control-token texts to split on for tokenizers that do not parse them themselves (SentencePiece). */
    private final Map<String, Integer> controlPieces;
    private final Map<Character, List<String>> controlPiecesByFirstChar = new HashMap<>();

    public PromptEncoder(Tokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.controlPieces = tokenizer instanceof ScoreBpeTokenizer s ? controlPieces(s) : Map.of();
        for (String piece : controlPieces.keySet()) {
            controlPiecesByFirstChar.computeIfAbsent(piece.charAt(0), c -> new ArrayList<>()).add(piece);
        }
    }

    /** The model's own template ({@link Tokenizer#chatTemplate()}), or the plain fallback when it has none. */
    public static PromptEncoder forTokenizer(Tokenizer tokenizer) {
        return withTemplate(tokenizer, tokenizer.chatTemplate());
    }

    /** {@code templateSource} (Jinja), or the plain fallback when it is null. */
    public static PromptEncoder withTemplate(Tokenizer tokenizer, String templateSource) {
        ChatTemplate t = templateSource == null ? ChatTemplate.plain()
                : ChatTemplate.jinja(templateSource, tokenText(tokenizer, tokenizer.bosId()), tokenText(tokenizer, tokenizer.eosId()));
        return new PromptEncoder(tokenizer, t);
    }

    public ChatTemplate template() { return template; }

    public Tokenizer tokenizer() { return tokenizer; }

    /** A completion prompt: plain text, BOS as the model wants it; an empty prompt is BOS alone. */
    public int[] encodeCompletion(String prompt) {
        return nonEmpty(tokenizer.encode(prompt, tokenizer.addBosByDefault(), false));
    }

    /** The conversation up to and including the opening of the assistant's reply. */
    public int[] encodeChat(List<ChatMessage> messages) {
        String text = template.render(messages, true);
        if (template.isPlain()) return encodeCompletion(text);
        int[] ids = encodeWithSpecials(text);
        int bos = tokenizer.bosId();
        if (tokenizer.addBosByDefault() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bos;
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        return nonEmpty(ids);
    }

    private int[] nonEmpty(int[] ids) {
        if (ids.length > 0) return ids;
        if (tokenizer.bosId() >= 0) return new int[]{tokenizer.bosId()};
        throw new TaylorMlpException("empty prompt: the model has no BOS token to start from");
    }

    private int[] encodeWithSpecials(String text) {
        if (controlPieces.isEmpty()) return tokenizer.encode(text, false, true);
        List<Integer> out = new ArrayList<>();
        int pos = 0, plainStart = 0;
        while (pos < text.length()) {
            String match = null;
            for (String piece : controlPiecesByFirstChar.getOrDefault(text.charAt(pos), List.of())) { // longest first
                if (text.startsWith(piece, pos)) {
                    match = piece;
                    break;
                }
            }
            if (match == null) {
                pos++;
                continue;
            }
            if (pos > plainStart) for (int id : tokenizer.encode(text.substring(plainStart, pos), false)) out.add(id);
            out.add(controlPieces.get(match));
            pos += match.length();
            plainStart = pos;
        }
        if (plainStart < text.length()) for (int id : tokenizer.encode(text.substring(plainStart), false)) out.add(id);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static Map<String, Integer> controlPieces(ScoreBpeTokenizer s) {
        List<Map.Entry<String, Integer>> found = new ArrayList<>();
        for (int id = 0; id < s.vocabSize(); id++) {
            boolean control = s.tokenType(id) == TokenType.CONTROL || id == s.bosId() || id == s.eosId();
            String piece = control ? s.piece(id) : null;
            if (piece != null && !piece.isEmpty()) found.add(Map.entry(piece, id));
        }
        found.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> -e.getKey().length()));
        Map<String, Integer> m = new LinkedHashMap<>();
        for (var e : found) m.putIfAbsent(e.getKey(), e.getValue());
        return m;
    }

    /** The text of a special token ({@code <s>}, {@code <|endoftext|>}), "" when unknown. */
    static String tokenText(Tokenizer tokenizer, int id) {
        if (id < 0 || id >= tokenizer.vocabSize()) return "";
        String s = switch (tokenizer) {
            case ScoreBpeTokenizer t -> t.piece(id);
            case ByteLevelBpeTokenizer t -> t.piece(id);
            case HfTokenizer t -> t.piece(id);
            default -> null;
        };
        return s == null ? "" : s;
    }
}
