package org.taylormlp.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Section results of an eval, saved under {@code OUT/checkpoints/NAME.json} as {@code {"key", "seconds", "result"}}
 * as soon as each completes, and reused on resume when their key (a hash of the parameters and input files) matches.
 * A saved section that cannot be read (unreadable JSON, or a result missing a field) is recomputed.
 */
final class Checkpoints {
    private final Path dir;
    private final boolean resume;
    private final String inputs;

    /** @param inputs the identity of the models compared: part of every key */
    Checkpoints(Path dir, boolean resume, String inputs) {
        this.dir = dir;
        this.resume = resume;
        this.inputs = inputs;
    }

    /** The section's saved result when it matches, else {@code compute}'s, saved atomically before it is returned. */
    <T> T section(String name, String key, Supplier<T> compute, Function<T, JsonNode> write, Function<JsonNode, T> read) {
        String fullKey = sha(inputs + "|" + key);
        Path f = dir.resolve(name.replaceAll("[^A-Za-z0-9._-]", "_") + ".json");
        if (resume && Files.isRegularFile(f)) {
            try {
                JsonNode saved = ReportJson.JSON.readTree(f.toFile());
                if (fullKey.equals(saved.path("key").asText())) {
                    JsonNode result = saved.get("result");
                    if (result == null) throw new TaylorMlpException("no result");
                    T t = read.apply(result);
                    System.err.println("resume: reusing " + name + " from " + f);
                    return t;
                }
                System.err.println("resume: " + name + " was computed with other parameters or inputs; recomputing");
            } catch (IOException | TaylorMlpException e) {
                System.err.println("resume: cannot read " + f + " (" + e.getMessage() + "); recomputing");
            }
        }
        long t0 = System.nanoTime();
        T result = compute.get();
        ObjectNode wrap = ReportJson.JSON.createObjectNode();
        wrap.put("key", fullKey);
        wrap.put("seconds", (System.nanoTime() - t0) / 1e9);
        wrap.set("result", write.apply(result));
        ReportFiles.writeText(f, ReportJson.text(wrap));
        return result;
    }

    /** A file's path, size and modification time: a changed input changes the keys of the sections that read it. */
    static String identity(Path p) {
        try {
            return p.toAbsolutePath().normalize() + ":" + Bench.fileBytes(p) + ":" + Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize().toString();
        }
    }

    static String sha(String s) {
        return org.taylormlp.Digests.sha256Hex(s);
    }
}
