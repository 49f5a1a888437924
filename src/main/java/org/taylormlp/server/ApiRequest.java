package org.taylormlp.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.taylormlp.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A validated {@code /v1/completions} or {@code /v1/chat/completions} request body.
 *
 * <p>Supported: {@code model} (optional; when given it must be the served model's id), {@code prompt} (a
 * string, or an array holding one string) or {@code messages} ({@code role} and {@code content}, a string or
 * an array of {@code {"type": "text", "text"}} parts), {@code max_tokens} (chat also
 * {@code max_completion_tokens}), {@code temperature} [0, 2], {@code top_p} [0, 1] (0 = greedy),
 * {@code seed}, {@code stop} (a string or up to {@value #MAX_STOPS} strings), {@code n} (only 1),
 * {@code stream}, {@code stream_options.include_usage}; extensions {@code top_k} and {@code ignore_eos}.
 * Other fields are ignored, as OpenAI-compatible servers commonly do.
 */
record ApiRequest(boolean chat, String prompt, List<ChatMessage> messages, Integer maxTokens, double temperature,
                  double topP, int topK, Long seed, List<String> stop, boolean stream, boolean includeUsage,
                  boolean ignoreEos) {
    static final int MAX_STOPS = 16;
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

    /**
     * @param modelId        the served model's id; a different {@code model} is a 404 {@code model_not_found}
     * @param maxTokensLimit the largest {@code max_tokens} accepted
     */
    static ApiRequest parse(JsonNode body, boolean chat, String modelId, int maxTokensLimit) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("The request body must be a JSON object.", null);
        }
        JsonNode model = body.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) throw typeError("model", "a string", model);
            if (!model.asText().equals(modelId)) {
                throw new ApiException(404, "invalid_request_error", "The model `" + model.asText()
                        + "` does not exist. This server serves `" + modelId + "`.", "model", "model_not_found");
            }
        }
        String prompt = null;
        List<ChatMessage> messages = null;
        if (chat) messages = parseMessages(body.get("messages"));
        else prompt = parsePrompt(body.get("prompt"));

        Integer maxTokens = optInt(body, "max_tokens", 1, maxTokensLimit);
        if (chat && maxTokens == null) maxTokens = optInt(body, "max_completion_tokens", 1, maxTokensLimit);
        double temperature = optNumber(body, "temperature", 0, 2, 1.0);
        double topP = optNumber(body, "top_p", 0, 1, 1.0);
        Integer topK = optInt(body, "top_k", 0, Integer.MAX_VALUE);
        Long seed = null;
        JsonNode s = body.get("seed");
        if (s != null && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) throw typeError("seed", "an integer", s);
            seed = s.asLong();
        }
        Integer n = optInt(body, "n", 1, Integer.MAX_VALUE);
        if (n != null && n != 1) {
            throw ApiException.invalid("Invalid 'n': only n = 1 is supported by this server, got " + n + ".", "n");
        }
        boolean stream = optBool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw typeError("stream_options", "an object", so);
            if (!stream) throw ApiException.invalid("'stream_options' is only allowed when 'stream' is true.", "stream_options");
            includeUsage = optBool(so, "include_usage", false);
        }
        boolean ignoreEos = optBool(body, "ignore_eos", false);
        return new ApiRequest(chat, prompt, messages, maxTokens, temperature, topP, topK == null ? 0 : topK, seed,
                parseStop(body.get("stop")), stream, includeUsage, ignoreEos);
    }

    private static String parsePrompt(JsonNode p) {
        if (p == null || p.isNull()) throw ApiException.invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
        if (p.isTextual()) return p.asText();
        if (p.isArray()) {
            if (p.size() == 1 && p.get(0).isTextual()) return p.get(0).asText();
            throw ApiException.invalid("Invalid 'prompt': only a single string prompt is supported by this server.", "prompt");
        }
        throw typeError("prompt", "a string", p);
    }

    private static List<ChatMessage> parseMessages(JsonNode m) {
        if (m == null || m.isNull()) throw ApiException.invalid("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        if (!m.isArray()) throw typeError("messages", "an array", m);
        if (m.isEmpty()) throw ApiException.invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages", "empty_array");
        List<ChatMessage> out = new ArrayList<>(m.size());
        for (int i = 0; i < m.size(); i++) {
            JsonNode msg = m.get(i);
            String at = "messages[" + i + "]";
            if (!msg.isObject()) throw typeError(at, "an object", msg);
            JsonNode role = msg.get("role");
            if (role == null || role.isNull()) throw ApiException.invalid("Missing required parameter: '" + at + ".role'.", at + ".role", "missing_required_parameter");
            if (!role.isTextual()) throw typeError(at + ".role", "a string", role);
            if (!ROLES.contains(role.asText())) {
                throw ApiException.invalid("Invalid value for '" + at + ".role': '" + role.asText()
                        + "'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", at + ".role", "invalid_value");
            }
            String r = role.asText().equals("developer") ? "system" : role.asText();
            out.add(new ChatMessage(r, parseContent(msg.get("content"), at + ".content", r)));
        }
        return out;
    }

    private static String parseContent(JsonNode c, String at, String role) {
        if (c == null || c.isNull()) {
            if (role.equals("assistant")) return ""; // e.g. a turn that only called tools
            throw ApiException.invalid("Missing required parameter: '" + at + "'.", at, "missing_required_parameter");
        }
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw typeError(at, "a string or an array of content parts", c);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < c.size(); i++) {
            JsonNode part = c.get(i);
            String pat = at + "[" + i + "]";
            if (!part.isObject()) throw typeError(pat, "an object", part);
            JsonNode type = part.get("type"), text = part.get("text");
            if (type == null || !"text".equals(type.asText())) {
                throw ApiException.invalid("Invalid '" + pat + ".type': only 'text' content parts are supported.", pat + ".type", "invalid_value");
            }
            if (text == null || !text.isTextual()) throw typeError(pat + ".text", "a string", text);
            sb.append(text.asText());
        }
        return sb.toString();
    }

    private static List<String> parseStop(JsonNode s) {
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray()) {
            if (s.size() > MAX_STOPS) {
                throw ApiException.invalid("Invalid 'stop': array too long. Expected at most " + MAX_STOPS + " strings, got " + s.size() + ".", "stop");
            }
            for (JsonNode x : s) {
                if (!x.isTextual()) throw typeError("stop", "a string or an array of strings", s);
                out.add(x.asText());
            }
        } else throw typeError("stop", "a string or an array of strings", s);
        for (String x : out) if (x.isEmpty()) throw ApiException.invalid("Invalid 'stop': stop sequences must not be empty.", "stop");
        return out;
    }

    private static Integer optInt(JsonNode body, String name, int min, int max) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber()) throw typeError(name, "an integer", v);
        if (!v.canConvertToLong() || v.asLong() < min) {
            throw ApiException.invalid("Invalid '" + name + "': integer below minimum value. Expected a value >= " + min
                    + ", but got " + v.asText() + " instead.", name, "integer_below_min_value");
        }
        if (v.asLong() > max) {
            throw ApiException.invalid("Invalid '" + name + "': integer above maximum value. Expected a value <= " + max
                    + ", but got " + v.asText() + " instead.", name, "integer_above_max_value");
        }
        return v.asInt();
    }

    private static double optNumber(JsonNode body, String name, double min, double max, double dflt) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) throw typeError(name, "a number", v);
        double d = v.asDouble();
        if (!(d >= min)) {
            throw ApiException.invalid("Invalid '" + name + "': decimal below minimum value. Expected a value >= " + min
                    + ", but got " + v.asText() + " instead.", name, "decimal_below_min_value");
        }
        if (!(d <= max)) {
            throw ApiException.invalid("Invalid '" + name + "': decimal above maximum value. Expected a value <= " + max
                    + ", but got " + v.asText() + " instead.", name, "decimal_above_max_value");
        }
        return d;
    }

    private static boolean optBool(JsonNode body, String name, boolean dflt) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw typeError(name, "a boolean", v);
        return v.asBoolean();
    }

    private static ApiException typeError(String name, String expected, JsonNode got) {
        return ApiException.invalid("Invalid type for '" + name + "': expected " + expected + ", but got "
                + describe(got) + " instead.", name, "invalid_type");
    }

    private static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        return switch (n.getNodeType()) {
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a decimal";
            case BOOLEAN -> "a boolean";
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            default -> n.getNodeType().name().toLowerCase();
        };
    }
}
