package org.taylormlp.trace;

import org.taylormlp.cli.CliCapture.Run;
import static org.taylormlp.cli.CliCapture.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.cli.Main;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.keys.OwnerKey;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The owner's workflow through the CLI: protect --owner-key --recipient, then trace (JSON), on a tiny synthetic model. */
class TraceCommandTest {
    @TempDir
    Path dir;

    @Test
    void protectForARecipientThenTraceNamesThem() throws Exception {
        Path model = dir.resolve("m.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", model, Long.MAX_VALUE);
        Path key = dir.resolve("owner.key");
        OwnerKey.generate().write(key);
        Path text = dir.resolve("t.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) sb.append("Once upon a time there was a little girl. She liked to play in the park with her dog.\n\n");
        Files.writeString(text, sb);
        Path rel = dir.resolve("alice.safetensors");
        Run p = run("protect", "-m", model.toString(), "--text", text.toString(), "--select", "radius:0.9", "--order", "48",
                "--owner-key", key.toString(), "--recipient", "alice", "-o", rel.toString(), "-t", "1");
        assertThat(p.exit()).as(p.err()).isZero();
        assertThat(p.out()).contains("marked for recipient 'alice'");
        try (SafetensorsFile f = SafetensorsFile.open(rel)) {
            assertThat(Mark.recipientOf(f.metadata().get(Mark.METADATA_KEY))).isEqualTo("alice");
        }

        Run t = run("trace", rel.toString(), "--original", model.toString(), "--owner-key", key.toString(),
                "--recipients", "bob,alice,carol", "--format", "json");
        assertThat(t.exit()).as(t.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(t.out());
        assertThat(j.get("verdict").asText()).isEqualTo("alice");
        assertThat(j.get("threshold").asDouble()).isEqualTo(Tracer.DEFAULT_THRESHOLD);
        assertThat(j.get("recipients")).hasSize(3);
        for (JsonNode r : j.get("recipients")) {
            if (r.get("id").asText().equals("alice")) assertThat(r.get("z").asDouble()).isGreaterThanOrEqualTo(10);
            else assertThat(r.get("z").asDouble()).isLessThan(5);
        }
        assertThat(j.get("aligned").get("permuted_neurons").asInt()).as("the release stores neurons out of order").isPositive();

        Run o = run("trace", model.toString(), "--original", model.toString(), "--owner-key", key.toString(),
                "--recipients", "alice,bob", "--format", "json");
        assertThat(o.exit()).as(o.err()).isZero();
        assertThat(new ObjectMapper().readTree(o.out()).get("verdict").isNull()).isTrue();

        // audit --owner-key: the recovered weights still carry the release's own recipient
        Path auditDir = dir.resolve("audit");
        Run a = run("audit", rel.toString(), "--original", model.toString(), "--owner-key", key.toString(), "--attacks", "zero_query",
                "--out", auditDir.toString(), "-t", "1");
        assertThat(a.exit()).as(a.err()).isZero();
        assertThat(a.out()).contains("still carry the fingerprint of recipient 'alice'");
        JsonNode fp = new ObjectMapper().readTree(auditDir.resolve("report.json").toFile()).get("fingerprint");
        assertThat(fp.get("recipient").asText()).isEqualTo("alice");
        assertThat(fp.get("z").asDouble()).isGreaterThanOrEqualTo(10);
        assertThat(fp.get("control_max_abs_z").asDouble()).isLessThan(5);

        // a wrong owner key names nobody
        Path other = dir.resolve("other.key");
        OwnerKey.generate().write(other);
        Run w = run("trace", rel.toString(), "--original", model.toString(), "--owner-key", other.toString(),
                "--recipients", "alice,bob", "--format", "json");
        assertThat(new ObjectMapper().readTree(w.out()).get("verdict").isNull()).isTrue();
    }

    @Test
    void badOptionsAreClearErrors() throws Exception {
        Path model = dir.resolve("m.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", model, Long.MAX_VALUE);
        Run noKey = run("protect", "-m", model.toString(), "--calibration", dir.resolve("none.json").toString(), "--recipient", "alice",
                "-o", dir.resolve("r.safetensors").toString());
        assertThat(noKey.exit()).isNotZero();
        assertThat(noKey.err()).contains("--recipient needs --owner-key");
        Path key = dir.resolve("owner.key");
        OwnerKey.generate().write(key);
        Run comma = run("trace", model.toString(), "--original", model.toString(), "--owner-key", key.toString(), "--recipients", "a,,b");
        assertThat(comma.exit()).isNotZero();
        assertThat(comma.err()).contains("recipient ID must not be empty");
        Run notAKey = run("trace", model.toString(), "--original", model.toString(), "--owner-key", model.toString(), "--recipients", "a");
        assertThat(notAKey.exit()).isNotZero();
        assertThat(notAKey.err()).doesNotContain("NullPointerException");
    }
}
