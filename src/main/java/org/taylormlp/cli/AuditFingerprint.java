package org.taylormlp.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.audit.Audit;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.keys.OwnerKey;
import org.taylormlp.trace.Mark;
import org.taylormlp.trace.Suspect;
import org.taylormlp.trace.Tracer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The audit's fingerprint check: the release's own recipient (from its metadata) is scored on the weights the
 * zero-query attack recovers, next to 16 control IDs that were never issued; the result goes into report.json
 * ({@code fingerprint}) and report.md.
 */
final class AuditFingerprint {
    private AuditFingerprint() {}

    static final int CONTROLS = 16;

    static void report(Path release, Path original, Path tokenizer, Path ownerKey, Audit.Result r) {
        String recipient;
        try (SafetensorsFile f = SafetensorsFile.open(release)) {
            recipient = Mark.recipientOf(f.metadata().get(Mark.METADATA_KEY));
        } catch (IOException e) {
            throw new TaylorMlpException("cannot read " + release + ": " + e.getMessage(), e);
        }
        ObjectNode fj = r.json().putObject("fingerprint");
        String line;
        if (recipient == null) {
            fj.putNull("recipient");
            line = "the release records no recipient fingerprint (protected without --owner-key/--recipient)";
        } else {
            OwnerKey key = OwnerKey.read(ownerKey);
            List<String> ids = new ArrayList<>();
            ids.add(recipient);
            for (int i = 0; i < CONTROLS; i++) ids.add("audit-control-" + i);
            try (Suspect o = Suspect.open(original, tokenizer); Suspect s = Suspect.open(release, null)) {
                Tracer.Result t = Tracer.trace(o.model(), s.model(), key.fingerprintSecret(), ids, Tracer.DEFAULT_THRESHOLD);
                double z = t.z(recipient), ctl = 0;
                for (Tracer.Score sc : t.scores()) if (!sc.id().equals(recipient)) ctl = Math.max(ctl, Math.abs(sc.z()));
                boolean carried = z >= Tracer.DEFAULT_THRESHOLD;
                fj.put("recipient", recipient);
                fj.put("z", z);
                fj.put("threshold", Tracer.DEFAULT_THRESHOLD);
                fj.put("recovered_weights_carry_fingerprint", carried);
                fj.put("control_ids", CONTROLS);
                fj.put("control_max_abs_z", ctl);
                line = String.format(Locale.ROOT, "recovered weights %s the fingerprint of recipient '%s': z = %.1f (threshold %.0f; max |z| of %d never-issued control IDs %.2f)",
                        carried ? "still carry" : "do NOT carry", recipient, z, Tracer.DEFAULT_THRESHOLD, CONTROLS, ctl);
            }
        }
        System.out.println("fingerprint: " + line);
        try {
            Files.writeString(r.reportJson(), new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r.json()) + "\n", StandardCharsets.UTF_8);
            Files.writeString(r.reportMd(), "\n## Fingerprint\n\n" + line + ".\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot update the report in " + r.reportJson().getParent() + ": " + e.getMessage(), e);
        }
    }
}
