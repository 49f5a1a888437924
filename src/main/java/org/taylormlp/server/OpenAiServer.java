package org.taylormlp.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.runtime.Engine;
import org.taylormlp.chat.CompletionSession;
import org.taylormlp.chat.PromptEncoder;
import org.taylormlp.generate.Sampler;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible HTTP server for one model, on the JDK's {@code com.sun.net.httpserver}.
 *
 * <ul>
 *   <li>{@code GET /health}, {@code GET /v1/models}, {@code GET /v1/models/{id}} (the id is the model's file or
 *       folder name);</li>
 *   <li>{@code POST /v1/completions} and {@code POST /v1/chat/completions}, answered as one JSON object or, with
 *       {@code "stream": true}, as Server-Sent Events ({@code data: {chunk}}, ..., {@code data: [DONE]}); see
 *       {@link ApiRequest} for the parameters.</li>
 * </ul>
 *
 * <p>Errors have OpenAI's shape {@code {"error": {"message", "type", "param", "code"}}}: 400 for malformed JSON,
 * missing or ill-typed fields, values out of range and prompts longer than the context; 404 (code
 * {@code model_not_found}) for a {@code model} other than the served one, as OpenAI answers; 405 for a wrong
 * method; 413 for a body over the size cap; 429 when the generation queue is full; 503 while shutting down.
 *
 * <p>Requests are parsed and tokenized on the HTTP threads; generation runs on a single worker thread fed by a
 * bounded queue ({@link GenerationWorker}). A streaming client that disconnects has its generation stopped at
 * the next token (a waiting one is dropped from the queue). Every request is logged to the log stream in one
 * line. {@link #close()} shuts down gracefully: waiting requests get 503, the running one may finish within
 * the grace period.
 *
 * <p>Every request starts from an empty KV cache, so the answer to a request does not depend on what was
 * served before it (at temperature 0 it equals {@link org.taylormlp.generate.Generator}'s greedy output).
 */
public final class OpenAiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    static {
        // streamed tokens are small writes: without TCP_NODELAY, Nagle's algorithm holds them back until the
        // client's (delayed) ACK arrives, and tokens reach the client in bursts. Read once by the JDK server.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    /** At most this much of an oversized body is read and discarded so the client can read the 413. */
    private static final long MAX_DISCARD_BYTES = 64L << 20;
    /** More characters per token than any vocabulary averages: longer prompts are refused untokenized. */
    private static final int MAX_CHARS_PER_TOKEN = 64;

    /**
     * @param maxTokensLimit largest {@code max_tokens} a request may ask for, and the default when it asks none
     *                       (generation also ends at the end of the context)
     * @param maxBodyBytes   requests with a larger body get 413
     * @param shutdownGrace  how long {@link #close()} lets running requests finish
     */
    public record Config(String host, int port, int queueCapacity, int maxTokensLimit, int maxBodyBytes,
                         Duration shutdownGrace, PrintStream log) {
        public Config {
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            if (queueCapacity < 1) throw new IllegalArgumentException("queue must be >= 1, got " + queueCapacity);
            if (maxTokensLimit < 1) throw new IllegalArgumentException("max tokens limit must be >= 1, got " + maxTokensLimit);
            if (maxBodyBytes < 1) throw new IllegalArgumentException("max body size must be >= 1, got " + maxBodyBytes);
            Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        }

        public static Config defaults() {
            return new Config("127.0.0.1", 8080, 16, 2048, 1 << 20, Duration.ofSeconds(10), System.err);
        }

        public Config withPort(int p) { return new Config(host, p, queueCapacity, maxTokensLimit, maxBodyBytes, shutdownGrace, log); }
        public Config withHost(String h) { return new Config(h, port, queueCapacity, maxTokensLimit, maxBodyBytes, shutdownGrace, log); }
        public Config withQueue(int q) { return new Config(host, port, q, maxTokensLimit, maxBodyBytes, shutdownGrace, log); }
        public Config withMaxTokensLimit(int m) { return new Config(host, port, queueCapacity, m, maxBodyBytes, shutdownGrace, log); }
        public Config withMaxBodyBytes(int b) { return new Config(host, port, queueCapacity, maxTokensLimit, b, shutdownGrace, log); }
        public Config withShutdownGrace(Duration g) { return new Config(host, port, queueCapacity, maxTokensLimit, maxBodyBytes, g, log); }
        public Config withLog(PrintStream l) { return new Config(host, port, queueCapacity, maxTokensLimit, maxBodyBytes, shutdownGrace, l); }
    }

    /** Counters of the generation queue. */
    public record Stats(long accepted, long rejected, long completed, long cancelled, long failed, int waiting, boolean busy) {}

    private final Config config;
    private final String modelId;
    private final long created = Instant.now().getEpochSecond();
    private final PromptEncoder prompts;
    private final int maxContext;
    private final GenerationWorker worker;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean closing;
    /** Bounds the HTTP threads tokenizing at once (CPU work outside the generation queue). */
    private final Semaphore tokenizers = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()));

    private OpenAiServer(Engine engine, PromptEncoder prompts, String modelId, Config config) throws IOException {
        this.config = config;
        this.modelId = modelId;
        this.prompts = prompts;
        this.maxContext = engine.transformer().maxContext();
        this.worker = new GenerationWorker(new CompletionSession(engine.transformer(), engine.model().tokenizer(), false),
                config.queueCapacity());
        try {
            this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
        } catch (IOException e) {
            worker.close();
            throw e;
        }
        this.handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("taylormlp-http-", 0).factory());
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
        http.start();
    }

    /**
     * Starts serving {@code engine} (which the caller keeps and closes after {@link #close()}).
     *
     * @param modelId the id clients use ({@code model}); usually the model's file name
     */
    public static OpenAiServer start(Engine engine, PromptEncoder prompts, String modelId, Config config) throws IOException {
        return new OpenAiServer(engine, prompts, modelId, config);
    }

    /** The bound address (with the actual port when the configured one was 0). */
    public InetSocketAddress address() { return http.getAddress(); }

    public int port() { return address().getPort(); }

    public URI baseUri() {
        String host = address().getAddress().isAnyLocalAddress() ? "127.0.0.1" : address().getHostString();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + port());
    }

    public String modelId() { return modelId; }

    public Stats stats() {
        GenerationWorker.Stats s = worker.stats();
        return new Stats(s.accepted(), s.rejected(), s.completed(), s.cancelled(), s.failed(), s.waiting(), s.busy());
    }

    /** Test hook: holds the generation worker after each piece it emits until the hold is closed. */
    GenerationWorker.Hold holdGeneration(Duration maxHold) { return worker.hold(maxHold); }

    /** Blocks until {@link #close()} has completed. */
    public void awaitTermination() throws InterruptedException { closed.await(); }

    /** Graceful shutdown: new and waiting requests get 503, the running one may finish within the grace period. */
    @Override
    public synchronized void close() {
        if (closing) return;
        closing = true;
        worker.stopAccepting();
        int graceSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (config.shutdownGrace().toMillis() + 999) / 1000));
        Thread stopper = Thread.ofPlatform().start(() -> http.stop(graceSeconds));
        worker.shutdown(config.shutdownGrace());
        try {
            stopper.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(5, TimeUnit.SECONDS)) handlers.shutdownNow();
        } catch (InterruptedException e) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        closed.countDown();
    }

    // ------------------------------------------------------------------------------------------ dispatch

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        StringBuilder note = new StringBuilder();
        try {
            route(ex, method, path, note);
        } catch (ApiException e) {
            note.append(' ').append(e.code() != null ? e.code() : e.type());
            trySendError(ex, e);
        } catch (IOException e) {
            note.append(" client gone: ").append(e.getMessage());
        } catch (RuntimeException e) {
            note.append(" internal error: ").append(e);
            trySendError(ex, new ApiException(500, "server_error", "Internal error: " + e.getMessage(), null, null));
        } finally {
            ex.close();
            log(ex, method, path, t0, note);
        }
    }

    private void route(HttpExchange ex, String method, String path, StringBuilder note) throws IOException {
        switch (path) {
            case "/health", "/v1/health" -> {
                requireMethod(method, "GET");
                ObjectNode o = JSON.createObjectNode();
                o.put("status", closing ? "shutting_down" : "ok");
                o.put("model", modelId);
                Stats s = stats();
                o.put("busy", s.busy());
                o.put("waiting", s.waiting());
                o.put("queue_capacity", config.queueCapacity());
                sendJson(ex, closing ? 503 : 200, o);
            }
            case "/v1/models" -> {
                requireMethod(method, "GET");
                ObjectNode o = JSON.createObjectNode();
                o.put("object", "list");
                o.putArray("data").add(modelObject());
                sendJson(ex, 200, o);
            }
            case "/v1/completions" -> {
                requireMethod(method, "POST");
                complete(ex, false, note);
            }
            case "/v1/chat/completions" -> {
                requireMethod(method, "POST");
                complete(ex, true, note);
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(method, "GET");
                    String id = path.substring("/v1/models/".length());
                    if (!id.equals(modelId)) {
                        throw new ApiException(404, "invalid_request_error", "The model `" + id + "` does not exist.", "model", "model_not_found");
                    }
                    sendJson(ex, 200, modelObject());
                } else {
                    throw new ApiException(404, "invalid_request_error", "Unknown URL: " + method + " " + path + ".", null, "unknown_url");
                }
            }
        }
    }

    private ObjectNode modelObject() {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", modelId);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "taylormlp");
        m.put("context_length", maxContext);
        return m;
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiException(405, "invalid_request_error", "Method " + method + " not allowed; use " + allowed + ".", null, "method_not_allowed");
        }
    }

    // ------------------------------------------------------------------------------------------ completions

    private void complete(HttpExchange ex, boolean chat, StringBuilder note) throws IOException {
        byte[] body = readBody(ex);
        JsonNode json = parseBody(body);
        ApiRequest req = ApiRequest.parse(json, chat, modelId, config.maxTokensLimit());
        long chars = chat ? req.messages().stream().mapToLong(m -> m.content().length()).sum() : req.prompt().length();
        if (chars > (long) maxContext * MAX_CHARS_PER_TOKEN) {
            // cannot fit whatever the tokenization: refuse before spending CPU on it
            throw ApiException.invalid("This model's maximum context length is " + maxContext + " tokens. However, your "
                    + (chat ? "messages have " : "prompt has ") + chars + " characters.", chat ? "messages" : "prompt",
                    "context_length_exceeded");
        }
        int[] prompt;
        try {
            tokenizers.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", "The server is shutting down.", null, "shutting_down");
        }
        try {
            prompt = chat ? prompts.encodeChat(req.messages()) : prompts.encodeCompletion(req.prompt());
        } catch (TaylorMlpException e) {
            throw ApiException.invalid(e.getMessage(), chat ? "messages" : "prompt", "invalid_prompt");
        } finally {
            tokenizers.release();
        }
        if (prompt.length > maxContext) {
            throw ApiException.invalid("This model's maximum context length is " + maxContext + " tokens. However, your "
                    + (chat ? "messages resulted in " : "prompt resulted in ") + prompt.length + " tokens.",
                    chat ? "messages" : "prompt", "context_length_exceeded");
        }
        int maxTokens = req.maxTokens() != null ? req.maxTokens() : config.maxTokensLimit();
        boolean greedy = req.temperature() == 0 || req.topP() == 0;
        long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong();
        Sampler sampler = greedy ? Sampler.greedy() : new Sampler((float) req.temperature(), (float) req.topP(), req.topK(), seed);
        GenerationWorker.Job job = new GenerationWorker.Job(
                new CompletionSession.Request(prompt, maxTokens, sampler, req.stop(), req.ignoreEos()));
        if (!worker.submit(job)) {
            ex.getResponseHeaders().set("Retry-After", "1");
            throw new ApiException(429, "rate_limit_error", "The server is busy: " + config.queueCapacity()
                    + " requests are already waiting. Retry later.", null, "rate_limit_exceeded");
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
        long createdAt = Instant.now().getEpochSecond();
        CompletionSession.Result r = req.stream() ? stream(ex, job, req, id, createdAt) : whole(ex, job, req, id, createdAt);
        if (r != null) {
            note.append(" prompt=").append(r.promptTokens()).append(" completion=").append(r.completionTokens())
                    .append(" finish=").append(r.finish().name().toLowerCase())
                    .append(String.format(" %.1f tok/s", r.decodeTokensPerSecond()));
        }
    }

    /** The non-streaming answer: waits for the result, sends one JSON object. */
    private CompletionSession.Result whole(HttpExchange ex, GenerationWorker.Job job, ApiRequest req, String id, long createdAt)
            throws IOException {
        while (true) {
            GenerationWorker.Event e = nextEvent(job);
            switch (e) {
                case GenerationWorker.Piece p -> { }
                case GenerationWorker.Failed f -> throw asApiException(f.error());
                case GenerationWorker.Done d -> {
                    CompletionSession.Result r = d.result();
                    if (r.finish() == CompletionSession.Finish.CANCELLED) {
                        throw new ApiException(503, "server_error", "The server is shutting down.", null, "shutting_down");
                    }
                    ObjectNode o = envelope(id, req.chat() ? "chat.completion" : "text_completion", createdAt);
                    ObjectNode choice = o.putArray("choices").addObject();
                    choice.put("index", 0);
                    if (req.chat()) {
                        ObjectNode msg = choice.putObject("message");
                        msg.put("role", "assistant");
                        msg.put("content", r.text());
                    } else {
                        choice.put("text", r.text());
                    }
                    choice.putNull("logprobs");
                    choice.put("finish_reason", finishReason(r));
                    o.set("usage", usage(r));
                    sendJson(ex, 200, o);
                    return r;
                }
            }
        }
    }

    /** The streaming answer: one SSE event per text piece, a final chunk with the finish reason, [DONE]. */
    private CompletionSession.Result stream(HttpExchange ex, GenerationWorker.Job job, ApiRequest req, String id, long createdAt)
            throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        String object = req.chat() ? "chat.completion.chunk" : "text_completion";
        try {
            if (req.chat()) {
                ObjectNode delta = JSON.createObjectNode().put("role", "assistant").put("content", "");
                send(out, chunk(id, object, createdAt, req.chat(), delta, null, null));
            }
            while (true) {
                GenerationWorker.Event e = job.events.poll(1, TimeUnit.SECONDS);
                if (e == null) {
                    if (!worker.isAlive()) throw new ApiException(503, "server_error", "The generation worker stopped.", null, null);
                    // waiting in the queue: a comment line keeps proxies happy and detects a client that left
                    out.write(": waiting\n\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    continue;
                }
                switch (e) {
                    case GenerationWorker.Piece p -> send(out, req.chat()
                            ? chunk(id, object, createdAt, true, JSON.createObjectNode().put("content", p.text()), null, null)
                            : chunk(id, object, createdAt, false, null, p.text(), null));
                    case GenerationWorker.Failed f -> {
                        ApiException a = asApiException(f.error());
                        send(out, errorBody(a));
                        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        return null;
                    }
                    case GenerationWorker.Done d -> {
                        CompletionSession.Result r = d.result();
                        send(out, chunk(id, object, createdAt, req.chat(), JSON.createObjectNode(), "", finishReason(r)));
                        if (req.includeUsage()) {
                            ObjectNode u = envelope(id, object, createdAt);
                            u.putArray("choices");
                            u.set("usage", usage(r));
                            send(out, u);
                        }
                        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        return r;
                    }
                }
            }
        } catch (IOException e) {
            worker.cancel(job);
            throw e;
        } catch (InterruptedException e) {
            worker.cancel(job);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private GenerationWorker.Event nextEvent(GenerationWorker.Job job) {
        try {
            while (true) {
                GenerationWorker.Event e = job.events.poll(1, TimeUnit.SECONDS);
                if (e != null) return e;
                if (!worker.isAlive()) throw new ApiException(503, "server_error", "The generation worker stopped.", null, null);
            }
        } catch (InterruptedException e) {
            worker.cancel(job);
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", "The server is shutting down.", null, "shutting_down");
        }
    }

    /** One streamed chunk: a chat {@code delta} or a completion {@code text}, and the finish reason (null until the end). */
    private ObjectNode chunk(String id, String object, long createdAt, boolean chat, ObjectNode delta, String text, String finish) {
        ObjectNode o = envelope(id, object, createdAt);
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) choice.set("delta", delta);
        else choice.put("text", text);
        choice.putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        return o;
    }

    private ObjectNode envelope(String id, String object, long createdAt) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", createdAt);
        o.put("model", modelId);
        return o;
    }

    private static ObjectNode usage(CompletionSession.Result r) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", r.promptTokens());
        u.put("completion_tokens", r.completionTokens());
        u.put("total_tokens", r.promptTokens() + r.completionTokens());
        return u;
    }

    private static String finishReason(CompletionSession.Result r) {
        return r.finish() == CompletionSession.Finish.STOP ? "stop" : "length";
    }

    /** A request body as JSON; a body that is not JSON is a 400 {@code invalid_json}. */
    static JsonNode parseBody(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage(), null, "invalid_json");
        } catch (IOException e) {
            // e.g. CharConversionException: bytes that Jackson's encoding detection takes for broken UTF-32
            throw ApiException.invalid("We could not parse the JSON body of your request: " + e.getMessage(), null, "invalid_json");
        }
    }

    private static ApiException asApiException(Throwable t) {
        if (t instanceof ApiException a) return a;
        if (t instanceof org.taylormlp.generate.Sampler.NonFiniteLogitException) {
            return new ApiException(500, "server_error", "Generation failed: " + t.getMessage(), null, "model_error");
        }
        if (org.taylormlp.format.MappedFault.is(t)) {
            return new ApiException(500, "server_error", "Generation failed: " + org.taylormlp.format.MappedFault.message(t), null, "model_error");
        }
        if (t instanceof TaylorMlpException) return ApiException.invalid(t.getMessage(), null);
        return new ApiException(500, "server_error", "Generation failed: " + t, null, null);
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------------------------------ I/O

    /** The request body, at most {@code maxBodyBytes}; larger bodies are drained (bounded) and answered 413. */
    private byte[] readBody(HttpExchange ex) throws IOException {
        int max = config.maxBodyBytes();
        InputStream in = ex.getRequestBody();
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        long declared = -1;
        if (len != null) {
            try {
                declared = Long.parseLong(len.trim());
            } catch (NumberFormatException e) {
                throw ApiException.invalid("Invalid Content-Length header.", null);
            }
        }
        if (declared > max) throw tooLarge(ex, in, declared);
        ByteArrayOutputStream buf = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 1024), max));
        byte[] chunk = new byte[16384];
        int n;
        while ((n = in.read(chunk)) > 0) {
            if (buf.size() + n > max) throw tooLarge(ex, in, -1);
            buf.write(chunk, 0, n);
        }
        return buf.toByteArray();
    }

    private ApiException tooLarge(HttpExchange ex, InputStream in, long declared) throws IOException {
        // read what the client is sending (up to a bound) so that it gets to read our answer
        byte[] sink = new byte[65536];
        long discarded = 0;
        int n;
        while (discarded < MAX_DISCARD_BYTES && (n = in.read(sink)) > 0) discarded += n;
        ex.getResponseHeaders().set("Connection", "close");
        return new ApiException(413, "invalid_request_error", "Request body too large: the limit is " + config.maxBodyBytes()
                + " bytes" + (declared > 0 ? ", got " + declared : "") + ".", null, "request_too_large");
    }

    private static void send(OutputStream out, ObjectNode event) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void sendJson(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static ObjectNode errorBody(ApiException e) {
        ObjectNode o = JSON.createObjectNode();
        ObjectNode err = o.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() == null) err.putNull("param");
        else err.put("param", e.param());
        if (e.code() == null) err.putNull("code");
        else err.put("code", e.code());
        return o;
    }

    private static void trySendError(HttpExchange ex, ApiException e) {
        if (ex.getResponseCode() != -1) return; // headers already sent (streaming): nothing more to say
        try {
            sendJson(ex, e.status(), errorBody(e));
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    private void log(HttpExchange ex, String method, String path, long t0, StringBuilder note) {
        if (config.log() == null) return;
        InetSocketAddress remote = ex.getRemoteAddress();
        config.log().printf("%s %s %s %s %d %d ms%s%n", Instant.now().toString(),
                remote == null ? "-" : remote.getAddress().getHostAddress() + ":" + remote.getPort(), method, path,
                ex.getResponseCode(), (System.nanoTime() - t0) / 1_000_000, note);
    }
}
