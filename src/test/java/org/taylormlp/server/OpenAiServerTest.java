package org.taylormlp.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.taylormlp.TestFiles;
import org.taylormlp.runtime.Engine;
import org.taylormlp.chat.PromptEncoder;
import org.taylormlp.generate.Generator;
import org.taylormlp.generate.Sampler;
import org.taylormlp.tokenizer.TokenStreamDecoder;
import org.taylormlp.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The server over a real socket (ephemeral port), driven by {@link HttpClient}, on stories260K. States that depend
 * on timing (busy, a full queue, mid-stream) are produced with a hold on the generation worker
 * ({@link OpenAiServer#holdGeneration}), never by racing the model. The per-test timeout is a hang guard sized
 * for a heavily loaded machine (one run of this class took 6 minutes at load average 45-60), not a speed check.
 */
@Timeout(300)
class OpenAiServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "stories260K.bin";
    static final int QUEUE = 2;
    static final int MAX_TOKENS_LIMIT = 1000;
    static Engine engine;
    static OpenAiServer server;
    static HttpClient client;
    static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws IOException {
        // One compute thread: on a 2-core machine a 2-thread engine would occupy both cores while it generates and
        // starve the test's client threads.
        engine = Engine.open(TestFiles.smallModel(), null, 1, 512);
        OpenAiServer.Config config = OpenAiServer.Config.defaults().withPort(0).withQueue(QUEUE)
                .withMaxTokensLimit(MAX_TOKENS_LIMIT).withLog(new PrintStream(LOG, true, StandardCharsets.UTF_8));
        server = OpenAiServer.start(engine, PromptEncoder.forTokenizer(engine.model().tokenizer()), MODEL, config);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (engine != null) engine.close();
        if (client != null) client.close();
    }

    // ------------------------------------------------------------------------------------------ helpers

    record Reply(int status, JsonNode json, String body) {}

    static HttpRequest.Builder request(OpenAiServer s, String path) {
        return HttpRequest.newBuilder(s.baseUri().resolve(path)).timeout(Duration.ofSeconds(60));
    }

    static Reply get(String path) throws Exception {
        HttpResponse<String> r = client.send(request(server, path).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), parse(r.body()), r.body());
    }

    static Reply post(String path, String body) throws Exception {
        return post(server, path, body);
    }

    static Reply post(OpenAiServer s, String path, String body) throws Exception {
        HttpResponse<String> r = client.send(request(s, path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), parse(r.body()), r.body());
    }

    static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            return null;
        }
    }

    /** What arrived on an SSE stream: the data payloads and how many socket deliveries carried them. */
    record Stream(int status, List<String> data, int deliveriesWithData, boolean dataWhileBusy) {
        List<JsonNode> chunks() {
            List<JsonNode> out = new ArrayList<>();
            for (String d : data) if (!d.equals("[DONE]")) out.add(parse(d));
            return out;
        }

        boolean done() { return !data.isEmpty() && data.getLast().equals("[DONE]"); }
    }

    /** How long a test may hold the worker at most (the hold then lets go by itself, and the test fails). */
    static final Duration MAX_HOLD = Duration.ofSeconds(120);

    static Stream postStream(OpenAiServer s, String path, String body) throws Exception {
        return postStream(s, path, body, null);
    }

    /**
     * Posts a streaming request and records each delivery of bytes as the client's socket receives it. With a
     * {@code hold}, an event with model text that arrives while the worker is held mid-generation is recorded
     * ({@code dataWhileBusy}) and releases the hold: deterministic proof that text reached the client before the
     * model had finished.
     */
    static Stream postStream(OpenAiServer s, String path, String body, GenerationWorker.Hold hold) throws Exception {
        List<byte[]> deliveries = new ArrayList<>();
        AtomicBoolean whileBusy = new AtomicBoolean();
        HttpResponse.BodyHandler<List<byte[]>> handler = info -> new HttpResponse.BodySubscriber<>() {
            final CompletableFuture<List<byte[]>> result = new CompletableFuture<>();
            final StringBuilder pending = new StringBuilder();

            @Override
            public CompletionStage<List<byte[]>> getBody() { return result; }

            @Override
            public void onSubscribe(Flow.Subscription subscription) { subscription.request(Long.MAX_VALUE); }

            @Override
            public void onNext(List<ByteBuffer> item) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (ByteBuffer bb : item) {
                    byte[] a = new byte[bb.remaining()];
                    bb.get(a);
                    b.writeBytes(a);
                }
                byte[] bytes = b.toByteArray();
                if (hold != null) {
                    // whole events only (a delivery may end mid-event); the chat role chunk carries no model text and
                    // is sent before the worker starts, so it proves nothing about the worker
                    pending.append(new String(bytes, StandardCharsets.UTF_8));
                    int end;
                    while ((end = pending.indexOf("\n\n")) >= 0) {
                        String event = pending.substring(0, end);
                        pending.delete(0, end + 2);
                        if (carriesText(event) && hold.holding()) {
                            if (s.stats().busy()) whileBusy.set(true);
                            hold.close();
                        }
                    }
                }
                deliveries.add(bytes);
            }

            @Override
            public void onError(Throwable throwable) { result.completeExceptionally(throwable); }

            @Override
            public void onComplete() { result.complete(deliveries); }
        };
        HttpResponse<List<byte[]>> r = client.send(request(s, path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), handler);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int withData = 0;
        for (byte[] d : r.body()) {
            all.writeBytes(d);
            if (hasData(d)) withData++;
        }
        List<String> data = new ArrayList<>();
        for (String event : all.toString(StandardCharsets.UTF_8).split("\n\n")) {
            if (event.startsWith("data: ")) data.add(event.substring("data: ".length()));
            else assertThat(event).matches("(: .*)?"); // keep-alive comments only
        }
        return new Stream(r.statusCode(), data, withData, whileBusy.get());
    }

    /** An SSE event with a non-empty piece of model text (a completion's text or a chat delta's content). */
    static boolean carriesText(String event) {
        if (!event.startsWith("data: ") || event.equals("data: [DONE]")) return false;
        JsonNode j = parse(event.substring("data: ".length()));
        JsonNode choice = j == null ? null : j.path("choices").path(0);
        if (choice == null || choice.isMissingNode()) return false;
        JsonNode text = choice.has("delta") ? choice.path("delta").path("content") : choice.path("text");
        return text.isTextual() && !text.asText().isEmpty();
    }

    static boolean hasData(byte[] b) {
        return new String(b, StandardCharsets.UTF_8).contains("data: ");
    }

    static String greedyReference(String prompt, int maxTokens) {
        Tokenizer tok = engine.model().tokenizer();
        int[] ids = tok.encode(prompt, true);
        Generator.Result r;
        synchronized (OpenAiServerTest.class) { // only used while the server is idle
            r = new Generator(engine.transformer(), tok).generate(ids, maxTokens, Sampler.greedy(), null);
        }
        TokenStreamDecoder d = new TokenStreamDecoder(tok, ids[ids.length - 1]);
        StringBuilder sb = new StringBuilder();
        for (int t : r.tokens()) sb.append(d.accept(t));
        return sb.append(d.flush()).toString();
    }

    static void assertError(Reply r, int status, String param, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode err = r.json().get("error");
        assertThat(err).as(r.body()).isNotNull();
        assertThat(err.get("message").asText()).isNotBlank();
        assertThat(err.get("type").asText()).isEqualTo(status == 429 ? "rate_limit_error" : "invalid_request_error");
        assertThat(err.has("param")).isTrue();
        assertThat(err.has("code")).isTrue();
        if (param != null) assertThat(err.get("param").asText()).isEqualTo(param);
        if (code != null) assertThat(err.get("code").asText()).isEqualTo(code);
    }

    // ------------------------------------------------------------------------------------------ tests

    @Test
    void modelsAndHealth() throws Exception {
        Reply models = get("/v1/models");
        assertThat(models.status()).isEqualTo(200);
        assertThat(models.json().get("object").asText()).isEqualTo("list");
        assertThat(models.json().get("data")).hasSize(1);
        assertThat(models.json().get("data").get(0).get("id").asText()).isEqualTo(MODEL);
        assertThat(models.json().get("data").get(0).get("object").asText()).isEqualTo("model");
        assertThat(get("/v1/models/" + MODEL).json().get("id").asText()).isEqualTo(MODEL);
        assertError(get("/v1/models/gpt-4"), 404, "model", "model_not_found");

        Reply health = get("/health");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("ok");
    }

    @Test
    void greedyCompletionEqualsTheEnginesOwnOutput() throws Exception {
        String expected = greedyReference("Once upon a time", 40);
        Reply r = post("/v1/completions", """
                {"model": "stories260K.bin", "prompt": "Once upon a time", "max_tokens": 40, "temperature": 0}""");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(j.get("object").asText()).isEqualTo("text_completion");
        assertThat(j.get("id").asText()).startsWith("cmpl-");
        assertThat(j.get("model").asText()).isEqualTo(MODEL);
        JsonNode choice = j.get("choices").get(0);
        assertThat(choice.get("text").asText()).isEqualTo(expected).isNotBlank();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        int promptTokens = engine.model().tokenizer().encode("Once upon a time", true).length;
        assertThat(j.get("usage").get("prompt_tokens").asInt()).isEqualTo(promptTokens);
        assertThat(j.get("usage").get("completion_tokens").asInt()).isEqualTo(40);
        assertThat(j.get("usage").get("total_tokens").asInt()).isEqualTo(promptTokens + 40);

        // a base model's chat answer is the continuation of the user's text
        Reply c = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 40, "temperature": 0}""");
        assertThat(c.status()).as(c.body()).isEqualTo(200);
        assertThat(c.json().get("object").asText()).isEqualTo("chat.completion");
        assertThat(c.json().get("id").asText()).startsWith("chatcmpl-");
        JsonNode msg = c.json().get("choices").get(0).get("message");
        assertThat(msg.get("role").asText()).isEqualTo("assistant");
        assertThat(msg.get("content").asText()).isEqualTo(expected);
    }

    @Test
    void finishReasonStopAtEndOfStory() throws Exception {
        // stories260K ends its greedy story with EOS well within 500 tokens
        Reply r = post("/v1/completions", """
                {"prompt": "Once upon a time", "max_tokens": 500, "temperature": 0}""");
        assertThat(r.json().get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        assertThat(r.json().get("usage").get("completion_tokens").asInt()).isLessThan(500);
        assertThat(r.json().get("choices").get(0).get("text").asText()).isEqualTo(greedyReference("Once upon a time", 500));
    }

    @Test
    void streamingArrivesIncrementallyAndConcatenatesToTheWholeAnswer() throws Exception {
        // stories15M on one thread (~400 tok/s here): 200 tokens take about half a second, so "the first data arrived
        // while the model was still generating" does not depend on how fast the client thread gets a core. With
        // stories260K (~16k tok/s) a whole answer could be done before the client read its first chunk.
        try (Engine e = Engine.open(TestFiles.model("stories15M/stories15M.bin"), null, 1, 512);
             OpenAiServer big = OpenAiServer.start(e, PromptEncoder.forTokenizer(e.model().tokenizer()), "stories15M.bin",
                     OpenAiServer.Config.defaults().withPort(0).withLog(null))) {
            streamsIncrementally(big, "stories15M.bin");
        }
    }

    static void streamsIncrementally(OpenAiServer server, String model) throws Exception {
        for (String path : List.of("/v1/completions", "/v1/chat/completions")) {
            boolean chat = path.contains("chat");
            String input = chat ? "\"messages\": [{\"role\": \"user\", \"content\": \"Lily and Tom\"}]" : "\"prompt\": \"Lily and Tom\"";
            String whole = post(server, path, "{" + input + ", \"max_tokens\": 200, \"temperature\": 0, \"ignore_eos\": true}").body();
            JsonNode w = parse(whole).get("choices").get(0);
            String expected = chat ? w.get("message").get("content").asText() : w.get("text").asText();

            Stream s;
            // the worker stops after its first piece until the client has received data: text must reach the client
            // while the model is mid-generation (no timing involved; without streaming the hold times out and fails)
            try (GenerationWorker.Hold hold = server.holdGeneration(MAX_HOLD)) {
                s = postStream(server, path, "{" + input + ", \"max_tokens\": 200, \"temperature\": 0, \"ignore_eos\": true,"
                        + " \"stream\": true, \"stream_options\": {\"include_usage\": true}}", hold);
            }
            assertThat(s.status()).isEqualTo(200);
            assertThat(s.done()).isTrue();
            assertThat(s.dataWhileBusy()).as(path + ": data arrived while the worker was held mid-generation").isTrue();
            // what came while held and what came after the release are separate deliveries
            assertThat(s.deliveriesWithData()).as(path).isGreaterThanOrEqualTo(2);

            List<JsonNode> chunks = s.chunks();
            StringBuilder text = new StringBuilder();
            String finish = null;
            JsonNode usage = null;
            for (JsonNode c : chunks) {
                assertThat(c.get("object").asText()).isEqualTo(chat ? "chat.completion.chunk" : "text_completion");
                assertThat(c.get("model").asText()).isEqualTo(model);
                assertThat(c.get("id").asText()).isEqualTo(chunks.getFirst().get("id").asText());
                if (c.hasNonNull("usage")) {
                    usage = c.get("usage");
                    assertThat(c.get("choices")).isEmpty();
                    continue;
                }
                assertThat(finish).as("nothing after the finish chunk but usage").isNull();
                JsonNode choice = c.get("choices").get(0);
                if (chat) {
                    JsonNode delta = choice.get("delta");
                    if (delta.has("content")) text.append(delta.get("content").asText());
                } else {
                    text.append(choice.get("text").asText());
                }
                if (!choice.get("finish_reason").isNull()) finish = choice.get("finish_reason").asText();
            }
            if (chat) assertThat(chunks.getFirst().get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
            assertThat(text.toString()).as(path).isEqualTo(expected);
            assertThat(finish).isEqualTo("length");
            assertThat(usage).isNotNull();
            assertThat(usage.get("completion_tokens").asInt()).isEqualTo(200);
            assertThat(chunks.size()).isGreaterThan(20);
        }
    }

    @Test
    void stopSequencesEndGenerationAndAreRemoved() throws Exception {
        String full = greedyReference("Once upon a time", 60);
        int at = full.indexOf(' ', full.length() / 2);
        String stop = full.substring(at, full.indexOf(' ', at + 1)); // a word from the middle, with its space
        String expected = full.substring(0, full.indexOf(stop));

        Reply r = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 60, \"temperature\": 0, "
                + "\"stop\": [\"zzz-never\", " + JSON.writeValueAsString(stop) + "]}");
        JsonNode choice = r.json().get("choices").get(0);
        assertThat(choice.get("text").asText()).isEqualTo(expected);
        assertThat(choice.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(r.json().get("usage").get("completion_tokens").asInt()).isLessThan(60);

        Stream s = postStream(server, "/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Once upon a time\"}],"
                + " \"max_tokens\": 60, \"temperature\": 0, \"stream\": true, \"stop\": " + JSON.writeValueAsString(stop) + "}");
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (JsonNode c : s.chunks()) {
            JsonNode ch = c.get("choices").get(0);
            if (ch.get("delta").has("content")) text.append(ch.get("delta").get("content").asText());
            if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
        }
        assertThat(text.toString()).isEqualTo(expected);
        assertThat(finish).isEqualTo("stop");
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        String body = "{\"prompt\": \"The dog\", \"max_tokens\": 30, \"temperature\": 1.0, \"top_p\": 0.9, \"seed\": %d}";
        String a = post("/v1/completions", body.formatted(7)).json().get("choices").get(0).get("text").asText();
        String b = post("/v1/completions", body.formatted(7)).json().get("choices").get(0).get("text").asText();
        String c = post("/v1/completions", body.formatted(8)).json().get("choices").get(0).get("text").asText();
        assertThat(a).isEqualTo(b).isNotEqualTo(c);
    }

    @Test
    void invalidRequestsGetOpenAiErrorBodies() throws Exception {
        assertError(post("/v1/completions", "{\"prompt\": \"x\", "), 400, null, "invalid_json");
        assertError(post("/v1/completions", "not json"), 400, null, "invalid_json");
        assertError(post("/v1/completions", "[1, 2]"), 400, null, null);
        assertError(post("/v1/completions", ""), 400, null, null);
        assertError(post("/v1/completions", "{\"model\": \"gpt-4o\", \"prompt\": \"x\"}"), 404, "model", "model_not_found");
        assertError(post("/v1/chat/completions", "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}"),
                404, "model", "model_not_found");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -5}"), 400, "max_tokens", "integer_below_min_value");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 0}"), 400, "max_tokens", "integer_below_min_value");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 1001}"), 400, "max_tokens", "integer_above_max_value");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 99999999999999}"), 400, "max_tokens", null);
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2.5}"), 400, "max_tokens", "invalid_type");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": \"10\"}"), 400, "max_tokens", "invalid_type");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": 2.5}"), 400, "temperature", "decimal_above_max_value");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": -0.1}"), 400, "temperature", "decimal_below_min_value");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"top_p\": 1.5}"), 400, "top_p", null);
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"n\": 2}"), 400, "n", null);
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"stream\": \"yes\"}"), 400, "stream", "invalid_type");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"stop\": 5}"), 400, "stop", "invalid_type");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"stop\": [\"\"]}"), 400, "stop", null);
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"seed\": 1.5}"), 400, "seed", "invalid_type");
        assertError(post("/v1/completions", "{\"max_tokens\": 5}"), 400, "prompt", "missing_required_parameter");
        assertError(post("/v1/completions", "{\"prompt\": 42}"), 400, "prompt", "invalid_type");
        assertError(post("/v1/completions", "{\"prompt\": [\"a\", \"b\"]}"), 400, "prompt", null);
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"model\": 3}"), 400, "model", "invalid_type");
        assertError(post("/v1/chat/completions", "{\"prompt\": \"x\"}"), 400, "messages", "missing_required_parameter");
        assertError(post("/v1/chat/completions", "{\"messages\": []}"), 400, "messages", "empty_array");
        assertError(post("/v1/chat/completions", "{\"messages\": \"hi\"}"), 400, "messages", "invalid_type");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"content\": \"hi\"}]}"), 400, "messages[0].role", null);
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}"), 400,
                "messages[0].role", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}"), 400,
                "messages[0].content", "invalid_type");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}"),
                400, "messages[0].content[0].type", null);
        // a prompt longer than the 512-token context
        String longPrompt = "the cat sat on the mat and ".repeat(150);
        assertError(post("/v1/completions", "{\"prompt\": \"" + longPrompt + "\"}"), 400, "prompt", "context_length_exceeded");
        // so long that it is refused without tokenizing
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + "ab ".repeat(12000) + "\"}]}"),
                400, "messages", "context_length_exceeded");
        // wrong method, unknown path
        HttpResponse<String> g = client.send(request(server, "/v1/completions").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertError(new Reply(g.statusCode(), parse(g.body()), g.body()), 405, null, "method_not_allowed");
        assertError(get("/v2/nothing"), 404, null, "unknown_url");
        // the server is still fine
        assertThat(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 3}").status()).isEqualTo(200);
    }

    @Test
    void contentPartsAndMaxCompletionTokensAreAccepted() throws Exception {
        Reply r = post("/v1/chat/completions", """
                {"messages": [{"role": "user", "content": [{"type": "text", "text": "Once upon"}, {"type": "text", "text": " a time"}]}],
                 "max_completion_tokens": 40, "temperature": 0}""");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("choices").get(0).get("message").get("content").asText())
                .isEqualTo(greedyReference("Once upon a time", 40));
    }

    @Test
    void oversizedBodyIs413AndTheServerGoesOn() throws Exception {
        String big = "{\"prompt\": \"" + "a".repeat(2 << 20) + "\"}";
        Reply r = post("/v1/completions", big);
        assertError(r, 413, null, "request_too_large");
        assertThat(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 3}").status()).isEqualTo(200);
    }

    @Test
    void floodBeyondTheQueueGets429ThenTheServerAnswersNormally() throws Exception {
        // The worker is held on the first request, so exactly QUEUE more are accepted and every one after that gets
        // 429, however fast or slow the machine is.
        int extra = 6;
        String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 150, \"ignore_eos\": true, \"temperature\": 0}";
        List<CompletableFuture<HttpResponse<String>>> accepted = new ArrayList<>();
        long acceptedBefore = server.stats().accepted();
        try (GenerationWorker.Hold hold = server.holdGeneration(MAX_HOLD)) {
            accepted.add(sendAsync(body));
            assertThat(hold.awaitHeld(Duration.ofSeconds(120))).as("the first request is running").isTrue();
            for (int i = 0; i < QUEUE; i++) accepted.add(sendAsync(body));
            awaitCondition(() -> server.stats().accepted() == acceptedBefore + 1 + QUEUE, "queue filled");
            assertThat(server.stats().waiting()).isEqualTo(QUEUE);
            for (int i = 0; i < extra; i++) {
                HttpResponse<String> r = sendAsync(body).get();
                assertError(new Reply(r.statusCode(), parse(r.body()), r.body()), 429, null, "rate_limit_exceeded");
                assertThat(r.headers().firstValue("Retry-After")).isPresent();
            }
            assertThat(hold.holding()).as("the 429s came while the worker was still held").isTrue();
        }
        for (var f : accepted) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(parse(r.body()).get("usage").get("completion_tokens").asInt()).isEqualTo(150);
        }
        // afterwards: business as usual
        Reply after = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 40, \"temperature\": 0}");
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.json().get("choices").get(0).get("text").asText()).isEqualTo(greedyReference("Once upon a time", 40));
        assertThat(get("/health").json().get("waiting").asInt()).isZero();
    }

    static CompletableFuture<HttpResponse<String>> sendAsync(String body) {
        return client.sendAsync(request(server, "/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits for a state change the test has caused (not a timing window: the deadline only bounds a failure). */
    static void awaitCondition(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(2);
        }
    }

    @Test
    void clientDisconnectStopsTheGeneration() throws Exception {
        for (boolean reset : new boolean[]{true, false}) {
            long cancelledBefore = server.stats().cancelled();
            long completedBefore = server.stats().completed();
            String body = "{\"prompt\": \"Once upon a time\", \"max_tokens\": 1000, \"ignore_eos\": true, \"stream\": true}";
            byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
            GenerationWorker.Hold hold = server.holdGeneration(MAX_HOLD);
            try (hold; Socket socket = new Socket(server.address().getAddress(), server.port())) {
                socket.setSoTimeout(20_000);
                if (reset) socket.setSoLinger(true, 0); // close with RST rather than FIN
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + bodyBytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(bodyBytes);
                out.flush();
                InputStream in = socket.getInputStream();
                StringBuilder seen = new StringBuilder();
                byte[] buf = new byte[256];
                while (!seen.toString().contains("data: ")) {
                    int n = in.read(buf);
                    assertThat(n).isPositive();
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
                assertThat(seen.toString()).startsWith("HTTP/1.1 200");
                // held mid-generation: the client leaves while the job is certainly running
                assertThat(hold.holding()).isTrue();
                assertThat(server.stats().busy()).isTrue();
                socket.close();
                // the worker stays held until the server has noticed that the client left (its keep-alive comment,
                // written after a second without events, fails on the closed connection). Releasing the hold at once
                // raced the ~500 remaining tokens (tens of ms) against the HTTP thread's next two writes: on a loaded
                // machine the generation could finish first and count as completed.
                awaitCondition(hold::runningJobCancelled, "the server noticed the disconnect, reset=" + reset);
                assertThat(hold.holding()).isTrue();
            } // then the hold is released
            // ~500 tokens to the end of the context, but the generation must end early, as cancelled
            awaitCondition(() -> server.stats().cancelled() != cancelledBefore, "cancellation, reset=" + reset);
            assertThat(server.stats().cancelled()).as("reset=" + reset).isEqualTo(cancelledBefore + 1);
            assertThat(server.stats().completed()).isEqualTo(completedBefore);
            awaitCondition(() -> !server.stats().busy(), "worker idle");
        }
        assertThat(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 3}").status()).isEqualTo(200);
    }

    @Test
    void requestsAreLoggedOneLineEach() throws Exception {
        post("/v1/completions", "{\"prompt\": \"log me\", \"max_tokens\": 2}");
        get("/health");
        post("/v1/chat/completions", "{oops");
        // each line is written on its request's thread once the exchange is closed, just after the client has its
        // answer: the three lines can land in any order (on a loaded machine the first request's thread may log
        // after the third's), so wait for every one of them
        List<java.util.regex.Pattern> lines = List.of(
                java.util.regex.Pattern.compile("POST /v1/completions 200 \\d+ ms prompt=\\d+ completion=2 finish=length"),
                java.util.regex.Pattern.compile("GET /health 200 \\d+ ms"),
                java.util.regex.Pattern.compile("POST /v1/chat/completions 400 \\d+ ms invalid_json"));
        for (java.util.regex.Pattern p : lines) awaitCondition(() -> p.matcher(completeLogLines()).find(), "log line " + p);
        String log = completeLogLines();
        assertThat(log.lines().filter(l -> !l.isBlank()))
                .allMatch(l -> l.matches("\\S+ \\S+ (GET|POST) /\\S* -?\\d+ \\d+ ms.*"));
    }

    /**
     * The log up to its last line break: a line is written in several pieces (under the stream's lock), and one from
     * another test's late request may be half written when the test reads.
     */
    static String completeLogLines() {
        String log = LOG.toString(StandardCharsets.UTF_8);
        return log.substring(0, log.lastIndexOf('\n') + 1);
    }

    @Test
    void chatTemplateIsAppliedToMessages() throws Exception {
        String chatml = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        try (Engine e = Engine.open(TestFiles.smallModel(), null, 1, 512)) {
            PromptEncoder prompts = PromptEncoder.withTemplate(e.model().tokenizer(), chatml);
            try (OpenAiServer s = OpenAiServer.start(e, prompts, "tpl", OpenAiServer.Config.defaults().withPort(0).withLog(null))) {
                Reply r = post(s, "/v1/chat/completions", """
                        {"model": "tpl", "messages": [{"role": "system", "content": "Be nice."}, {"role": "user", "content": "Hi"}],
                         "max_tokens": 5, "temperature": 0}""");
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                int expected = e.model().tokenizer().encode(
                        "<|im_start|>system\nBe nice.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", true).length;
                assertThat(r.json().get("usage").get("prompt_tokens").asInt()).isEqualTo(expected);
            }
        }
    }

    @Test
    void gracefulShutdownFinishesTheRunningRequestThenRefusesConnections() throws Exception {
        try (Engine e = Engine.open(TestFiles.smallModel(), null, 1, 512)) {
            OpenAiServer s = OpenAiServer.start(e, PromptEncoder.forTokenizer(e.model().tokenizer()), MODEL,
                    OpenAiServer.Config.defaults().withPort(0).withLog(null).withShutdownGrace(Duration.ofSeconds(120)));
            // the grace is far above what the held request needs even on an overloaded machine (with 30 s, one run at
            // load average 45-60 had its stream cut off, most likely the grace running out): the test is about
            // finishing the request, not about the window
            URI base = s.baseUri();
            GenerationWorker.Hold hold = s.holdGeneration(MAX_HOLD);
            CompletableFuture<Stream> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return postStream(s, "/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 200, \"ignore_eos\": true, \"stream\": true}");
                } catch (Exception ex) {
                    throw new RuntimeException(ex);
                }
            });
            CompletableFuture<Void> closing;
            try (hold) {
                assertThat(hold.awaitHeld(Duration.ofSeconds(120))).as("the request is running").isTrue();
                assertThat(s.stats().busy()).isTrue();
                // shutdown begins while the request is held mid-generation: no new connections from then on
                closing = CompletableFuture.runAsync(s::close);
                // a raw connect (an HTTP client could reuse a pooled keep-alive connection and never see the refusal)
                awaitCondition(() -> {
                    try (Socket probe = new Socket(base.getHost(), base.getPort())) {
                        return false;
                    } catch (ConnectException refused) {
                        return true;
                    } catch (IOException other) {
                        return false;
                    }
                }, "the listener closed");
                assertThat(closing).isNotDone();
                assertThat(hold.holding()).isTrue();
            }
            Stream st = running.get();
            closing.get();
            assertThat(st.done()).isTrue();
            JsonNode last = st.chunks().getLast();
            assertThat(last.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
            assertThat(s.stats().completed()).isEqualTo(1);
            // a fresh client: the shared one may still pool the stream's keep-alive connection, which the server closed
            // at shutdown; reusing it fails with some other IOException depending on when the client noticed the close
            HttpRequest after = HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(5)).build();
            try (HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                assertThatThrownBy(() -> fresh.send(after, HttpResponse.BodyHandlers.ofString())).isInstanceOf(ConnectException.class);
            }
        }
    }
}
