package org.taylormlp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.keys.OwnerKey;
import org.taylormlp.trace.Suspect;
import org.taylormlp.trace.Tracer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {"Name the recipient a leaked copy came from, from its weights.",
                "Aligns a suspect model to the original and scores it against each listed recipient's fingerprint.",
                "A non-source recipient's z is a unit-variance Rademacher sum",
                "(mean 0, sd 1, P(z >= t) <= exp(-t^2/2)); recipients at or above --threshold are named."})
public final class TraceCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "SUSPECT", description = "the suspect: GGUF (any dtype), HF folder, llama2.c .bin, or a release")
    Path suspect;

    @Option(names = "--original", required = true, paramLabel = "SRC", description = "the unmarked original checkpoint")
    Path original;

    @Option(names = "--owner-key", required = true, paramLabel = "FILE", description = "the owner key written by `taylormlp keygen`")
    Path ownerKey;

    @Option(names = "--recipients", required = true, split = ",", paramLabel = "ID", description = "recipient IDs to score, comma-separated")
    List<String> recipients;

    @Option(names = "--threshold", paramLabel = "Z", description = "name recipients with z >= Z (default: ${DEFAULT-VALUE})")
    double threshold = Tracer.DEFAULT_THRESHOLD;

    @Option(names = "--format", paramLabel = "F", description = "text | json (default: ${DEFAULT-VALUE})")
    String format = "text";

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for llama2.c checkpoints (default: beside them)")
    Path tokenizer;

    @Override
    public void run() {
        if (!format.equals("text") && !format.equals("json")) throw new TaylorMlpException("--format must be text or json, got '" + format + "'");
        if (!(threshold > 0)) throw new TaylorMlpException("--threshold must be positive, got " + threshold);
        List<String> ids = new ArrayList<>(new LinkedHashSet<>(recipients));
        OwnerKey key = OwnerKey.read(ownerKey);
        try (Suspect orig = Suspect.open(original, tokenizer); Suspect sus = Suspect.open(suspect, tokenizer)) {
            if (!orig.model().format().equals(orig.kind())) {
                throw new TaylorMlpException("--original " + original + " is a release; give the unmarked original checkpoint");
            }
            Tracer.Result r = Tracer.trace(orig.model(), sus.model(), key.fingerprintSecret(), ids, threshold);
            if (format.equals("json")) {
                ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                ObjectNode root = json.createObjectNode();
                if (r.verdict() == null) root.putNull("verdict");
                else root.put("verdict", r.verdict());
                root.put("threshold", threshold);
                ArrayNode ra = root.putArray("recipients");
                for (Tracer.Score s : r.scores()) ra.addObject().put("id", s.id()).put("z", s.z());
                root.set("aligned", json.valueToTree(r.aligned()));
                root.put("suspect", suspect.toString());
                root.put("suspect_kind", sus.kind());
                root.put("null_distribution", "z of a non-source recipient: mean 0, sd 1, P(z >= t) <= exp(-t^2/2)");
                root.put("seconds", r.seconds());
                try {
                    System.out.println(json.writeValueAsString(root));
                } catch (java.io.IOException e) {
                    throw new TaylorMlpException("cannot write JSON: " + e.getMessage(), e);
                }
            } else {
                System.out.printf("suspect:   %s (%s)%n", suspect, sus.kind());
                System.out.printf("aligned:   %s%n", r.aligned());
                System.out.printf("%-40s %10s%n", "recipient", "z");
                List<Tracer.Score> sorted = new ArrayList<>(r.scores());
                sorted.sort((a, b) -> Double.compare(b.z(), a.z()));
                for (Tracer.Score s : sorted) System.out.printf(Locale.ROOT, "%-40s %10.2f%s%n", s.id(), s.z(), s.z() >= threshold ? "  <- named" : "");
                System.out.printf(Locale.ROOT, "verdict:   %s (threshold z >= %.1f; a non-source recipient's z has mean 0, sd 1, P(z >= t) <= exp(-t^2/2))%n",
                        r.verdict() == null ? "none of the listed recipients" : r.verdict(), threshold);
                System.out.printf(Locale.ROOT, "time:      %.1f s%n", r.seconds());
            }
        }
    }
}
