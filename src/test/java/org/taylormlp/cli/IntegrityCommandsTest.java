package org.taylormlp.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * keygen, protect --owner-key/--recipient, verify and generate --public through the CLI entry point: exit codes
 * (0 ok, 1 failed check or error, 2 usage) and the lines people read.
 */
class IntegrityCommandsTest {
    @TempDir
    static Path shared;
    static Path gguf, text, key, pub, otherPub, release;

    /** One CLI run: exit code, stdout, stderr. */
    record Run(int code, String out, String err) {}

    static synchronized Run cli(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @BeforeAll
    static void setUp() throws IOException {
        gguf = shared.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", gguf, Long.MAX_VALUE);
        text = shared.resolve("calib.txt");
        Files.writeString(text, "Once upon a time there was a little girl who liked to play in the park with her dog.\n".repeat(40));
        key = shared.resolve("owner.key");
        pub = shared.resolve("owner.pub");
        otherPub = shared.resolve("other.pub");
        assertThat(cli("keygen", "--out", key.toString(), "--public", pub.toString()).code()).isZero();
        assertThat(cli("keygen", "--out", shared.resolve("other.key").toString(), "--public", otherPub.toString()).code()).isZero();
        release = shared.resolve("alice.safetensors");
        Run p = cli("protect", "-m", gguf.toString(), "-t", "1", "--text", text.toString(), "--max-tokens", "500", "--select", "radius:0.9",
                "--order", "8", "--owner-key", key.toString(), "--recipient", "alice", "-o", release.toString());
        assertThat(p.code()).as(p.err()).isZero();
        assertThat(p.out()).contains("issued to:          'alice'");
    }

    @Test
    void keygenWritesAPrivateKeyAndRefusesToOverwrite() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(Files.readString(pub)).contains("taylormlp-owner-public-key").doesNotContain("private");
        byte[] before = Files.readAllBytes(key);
        Run again = cli("keygen", "--out", key.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("refusing to overwrite").contains(key.toString());
        assertThat(Files.readAllBytes(key)).isEqualTo(before);
        // an existing --public file is refused before anything is written
        Path fresh = shared.resolve("fresh.key");
        Run pubExists = cli("keygen", "--out", fresh.toString(), "--public", pub.toString());
        assertThat(pubExists.code()).isEqualTo(1);
        assertThat(Files.exists(fresh)).isFalse();
        assertThat(cli("keygen").code()).isEqualTo(2);
        Run noDir = cli("keygen", "--out", shared.resolve("nowhere/owner.key").toString());
        assertThat(noDir.code()).isEqualTo(1);
        assertThat(noDir.err()).contains("no such folder");
    }

    @Test
    void verifyExitCodes() throws IOException {
        Run ok = cli("verify", release.toString(), "--public", pub.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("OK ").contains("signature verified").contains("issued to: alice");

        Run noKey = cli("verify", release.toString());
        assertThat(noKey.code()).isZero();
        assertThat(noKey.out()).contains("signature not checked (no --public)").contains("issued to: alice");

        Run wrongKey = cli("verify", release.toString(), "--public", otherPub.toString());
        assertThat(wrongKey.code()).isEqualTo(1);
        assertThat(wrongKey.err()).contains("not by " + otherPub);

        Path bad = shared.resolve("bad.safetensors");
        Files.copy(release, bad, StandardCopyOption.REPLACE_EXISTING);
        String victim;
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(bad)) {
            SafetensorsFile.TableEntry e = f.table().get(f.table().size() / 2);
            victim = e.name();
            at = 8 + f.headerBytes() + (e.begin() + e.end()) / 2;
        }
        byte[] b = Files.readAllBytes(bad);
        b[(int) at] ^= 1;
        Files.write(bad, b);
        Run damaged = cli("verify", bad.toString());
        assertThat(damaged.code()).isEqualTo(1);
        assertThat(damaged.err()).contains("tensor '" + victim + "' is damaged");

        assertThat(cli("verify").code()).isEqualTo(2);
        assertThat(cli("verify", shared.resolve("missing.safetensors").toString()).code()).isEqualTo(1);
        Run pubOnPlain = cli("verify", gguf.toString(), "--public", pub.toString());
        assertThat(pubOnPlain.code()).isEqualTo(2); // an invalid argument (picocli's rule: 2)
        assertThat(pubOnPlain.err()).contains("--public applies to taylormlp releases");
    }

    @Test
    void verifyChecksOrdinaryModelFiles() throws IOException {
        Run ok = cli("verify", gguf.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("OK ").contains("gguf").contains("all values finite");

        Path truncated = shared.resolve("truncated.gguf");
        byte[] b = Files.readAllBytes(gguf);
        Files.write(truncated, java.util.Arrays.copyOf(b, b.length - 100));
        Run t = cli("verify", truncated.toString());
        assertThat(t.code()).isEqualTo(1);
        assertThat(t.err()).contains(truncated.toString());

        // a lone safetensors file with a NaN in one tensor: structure valid, values not
        Path nan = shared.resolve("nan.safetensors");
        new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[]{1, 2, 3, 4}, 2, 2))
                .addTensor(Tensor.ofFloats("b", new float[]{1, Float.NaN, 3, Float.POSITIVE_INFINITY}, 4)).write(nan);
        Run n = cli("verify", nan.toString());
        assertThat(n.code()).isEqualTo(1);
        assertThat(n.err()).contains("NaN or infinite").contains("b (2)");
        Path fine = shared.resolve("fine.safetensors");
        new SafetensorsWriter().addTensor(Tensor.ofFloats("a", new float[]{1, 2, 3, 4}, 2, 2)).write(fine);
        Run f = cli("verify", fine.toString());
        assertThat(f.code()).as(f.err()).isZero();
        assertThat(f.out()).contains("safetensors file").contains("1 tensors");
    }

    @Test
    void generateChecksASignedReleaseAndSaysWhoItWasIssuedTo() {
        Run ok = cli("generate", "-m", release.toString(), "-n", "4", "-t", "1", "--public", pub.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.err()).contains("release issued to 'alice'").contains("signature verified with " + pub);
        Run wrong = cli("generate", "-m", release.toString(), "-n", "4", "-t", "1", "--public", otherPub.toString());
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.err()).contains("error:").contains("not by " + otherPub);
        assertThat(wrong.out()).isEmpty();
        Run noKey = cli("generate", "-m", release.toString(), "-n", "4", "-t", "1");
        assertThat(noKey.code()).isZero();
        assertThat(noKey.err()).contains("release issued to 'alice'").contains("signature not checked: no --public");
    }

    @Test
    void protectOptionsGoTogetherAndUnsignedProtectSaysSo() {
        Run noKey = cli("protect", "-m", gguf.toString(), "--text", text.toString(), "--recipient", "bob", "-o",
                shared.resolve("x.safetensors").toString());
        assertThat(noKey.code()).isEqualTo(2); // invalid arguments exit with 2
        assertThat(noKey.err()).contains("--recipient needs --owner-key");
        Run noRecipient = cli("protect", "-m", gguf.toString(), "--text", text.toString(), "--owner-key", key.toString(), "-o",
                shared.resolve("x.safetensors").toString());
        assertThat(noRecipient.code()).isEqualTo(2);
        assertThat(noRecipient.err()).contains("--owner-key needs --recipient");
        Run pubAsKey = cli("protect", "-m", gguf.toString(), "--text", text.toString(), "--owner-key", pub.toString(),
                "--recipient", "bob", "-o", shared.resolve("x.safetensors").toString());
        assertThat(pubAsKey.code()).isEqualTo(1);
        assertThat(pubAsKey.err()).contains("public");
        assertThat(Files.exists(shared.resolve("x.safetensors"))).isFalse();

        Path plain = shared.resolve("plain.safetensors");
        Run unsigned = cli("protect", "-m", gguf.toString(), "-t", "1", "--text", text.toString(), "--max-tokens", "500",
                "--select", "radius:0.9", "--order", "8", "-o", plain.toString());
        assertThat(unsigned.code()).as(unsigned.err()).isZero();
        assertThat(unsigned.err()).contains("no --owner-key: the release is unsigned");
        Run v = cli("verify", plain.toString());
        assertThat(v.code()).isZero();
        assertThat(v.out()).contains("verified").contains("unsigned");
        assertThat(cli("verify", plain.toString(), "--public", pub.toString()).code()).isEqualTo(1);
    }
}
