package org.taylormlp.cli;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.runtime.Engine;
import org.taylormlp.chat.PromptEncoder;
import org.taylormlp.server.OpenAiServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.time.Duration;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over an OpenAI-compatible HTTP API: GET /v1/models, GET /health, "
                + "POST /v1/completions, POST /v1/chat/completions (stream: true for Server-Sent Events).",
                "One request generates at a time; up to --queue more wait, beyond that requests get 429.",
                "Stops gracefully on SIGINT/SIGTERM."})
public final class ServeCommand implements Runnable {
    @Mixin
    ModelOptions opts;

    @Option(names = "--host", paramLabel = "ADDR", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "PORT", description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
    int port = 8080;

    @Option(names = "--queue", paramLabel = "N", description = "requests that may wait while one generates (default: ${DEFAULT-VALUE})")
    int queue = 16;

    @Option(names = "--max-tokens-limit", paramLabel = "M",
            description = "largest max_tokens a request may ask for, and the default (default: ${DEFAULT-VALUE})")
    int maxTokensLimit = 2048;

    @Option(names = "--max-body-bytes", paramLabel = "B", description = "largest request body; larger get 413 (default: ${DEFAULT-VALUE})")
    int maxBodyBytes = 1 << 20;

    @Option(names = "--model-id", paramLabel = "ID", description = "model id clients use (default: the model's file name)")
    String modelId;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "Jinja chat template to use instead of the model's")
    java.nio.file.Path chatTemplate;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS",
            description = "on shutdown, how long a running request may finish (default: ${DEFAULT-VALUE})")
    int shutdownGrace = 10;

    @Override
    public void run() {
        if (shutdownGrace < 0) throw new IllegalArgumentException("--shutdown-grace must be >= 0, got " + shutdownGrace);
        OpenAiServer.Config config = new OpenAiServer.Config(host, port, queue, maxTokensLimit, maxBodyBytes,
                Duration.ofSeconds(shutdownGrace), System.err);
        String template = ChatCommand.readTemplate(chatTemplate);
        String id = modelId != null ? modelId : opts.model.toAbsolutePath().normalize().getFileName().toString();
        try (Engine e = opts.open()) {
            var tok = e.model().tokenizer();
            PromptEncoder prompts = template != null ? PromptEncoder.withTemplate(tok, template) : PromptEncoder.forTokenizer(tok);
            OpenAiServer server;
            try {
                server = OpenAiServer.start(e, prompts, id, config);
            } catch (IOException ex) {
                throw new TaylorMlpException("cannot listen on " + host + ":" + port + ": " + ex.getMessage(), ex);
            }
            Thread hook = new Thread(() -> {
                System.err.println("shutting down: finishing the running request (at most " + shutdownGrace + " s)");
                server.close();
                System.err.println("stopped");
            }, "taylormlp-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            System.err.printf("serving %s as \"%s\" on %s (context %d tokens, %s, queue %d)%n", opts.model, id, server.baseUri(),
                    e.transformer().maxContext(), prompts.template().isPlain() ? "no chat template: plain continuation" : "chat template",
                    queue);
            try {
                server.awaitTermination();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                server.close();
            }
        }
    }
}
