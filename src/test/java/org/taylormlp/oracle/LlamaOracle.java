package org.taylormlp.oracle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.taylormlp.TestProcesses;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

import static org.assertj.core.api.Assertions.fail;

/**
 * llama.cpp as an external reference: {@code target/llama-oracle/greedy.mjs} (node-llama-cpp's prebuilt CPU
 * build), installed by {@code scripts/install-oracle.sh} from the npm registry when missing. Missing node or npm
 * is a test failure, not a skip.
 */
public final class LlamaOracle {
    static final Path DIR = Path.of("target", "llama-oracle");
    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaOracle() {}

    /** llama.cpp's greedy ids and, per generated token, the probability of the chosen token. */
    record Run(int[] ids, double[] top1, String raw) {}

    public static synchronized Path ensureInstalled() throws IOException, InterruptedException {
        if (Files.isRegularFile(DIR.resolve("node_modules/node-llama-cpp/package.json"))
                && Files.isDirectory(DIR.resolve("node_modules/@node-llama-cpp/linux-x64"))) {
            return DIR;
        }
        for (String tool : List.of("node", "npm")) {
            try {
                TestProcesses.Result r = TestProcesses.run(new ProcessBuilder(tool, "--version"), Duration.ofSeconds(60), tool + " --version");
                if (r.exitCode() != 0) fail(tool + " --version failed: the llama.cpp oracle needs node and npm\n" + r.output());
            } catch (IOException e) {
                fail("'" + tool + "' is not available (" + e.getMessage() + "): the llama.cpp oracle tests need node and npm on the PATH");
            }
        }
        ProcessBuilder pb = new ProcessBuilder("bash", "scripts/install-oracle.sh").redirectErrorStream(true);
        TestProcesses.Result r = TestProcesses.run(pb, Duration.ofSeconds(600), "scripts/install-oracle.sh");
        if (r.exitCode() != 0) fail("scripts/install-oracle.sh failed:\n" + r.output());
        return DIR;
    }

    /** The marker in greedy.mjs after which {@link #F32_KV_OPTIONS} are inserted. */
    private static final String CONTEXT_CALL = "model.createContext({";
    static final String F32_KV_OPTIONS = "experimentalKvCacheKeyType: \"F32\", experimentalKvCacheValueType: \"F32\", flashAttention: false, ";

    /**
     * greedy.mjs with llama.cpp's KV cache in F32 (instead of F16) and without flash attention: the same llama.cpp
     * graph minus the F16 rounding of keys, values and attention weights, which otherwise moves top-1
     * probabilities by up to ~4e-3 at undecided steps.
     */
    static synchronized Path f32KvScript() throws IOException, InterruptedException {
        Path dir = ensureInstalled();
        Path out = dir.resolve("greedy-f32kv.mjs");
        String src = Files.readString(dir.resolve("greedy.mjs"));
        if (!src.contains(CONTEXT_CALL)) fail("greedy.mjs changed: no '" + CONTEXT_CALL + "' to add F32 KV options to");
        Files.writeString(out, src.replace(CONTEXT_CALL, CONTEXT_CALL + F32_KV_OPTIONS));
        return out;
    }

    static Run greedy(Path gguf, int[] prompt, int n) throws IOException, InterruptedException {
        return greedy(gguf, prompt, n, false);
    }

    static Run greedy(Path gguf, int[] prompt, int n, boolean f32Kv) throws IOException, InterruptedException {
        Path dir = ensureInstalled();
        String script = f32Kv ? f32KvScript().getFileName().toString() : "greedy.mjs";
        StringJoiner toks = new StringJoiner(",");
        for (int t : prompt) toks.add(Integer.toString(t));
        TestProcesses.Result r = TestProcesses.run(new ProcessBuilder("node", script, "--model", gguf.toAbsolutePath().toString(), "--tokens",
                toks.toString(), "--n", Integer.toString(n), "--top", "1", "--json", "--threads", "1")
                .directory(dir.toFile()), Duration.ofSeconds(300), "llama.cpp oracle on " + gguf);
        if (r.exitCode() != 0) fail("llama.cpp oracle failed on " + gguf + ":\n" + r.output());
        String json = r.stdout();
        JsonNode root = JSON.readTree(json);
        List<Integer> ids = new ArrayList<>();
        root.path("ids").forEach(x -> ids.add(x.asInt()));
        double[] top1 = new double[ids.size()];
        JsonNode top = root.path("top");
        for (int i = 0; i < ids.size(); i++) top1[i] = top.path(i).path(0).path(1).asDouble(Double.NaN);
        return new Run(ids.stream().mapToInt(Integer::intValue).toArray(), top1, json);
    }
}
