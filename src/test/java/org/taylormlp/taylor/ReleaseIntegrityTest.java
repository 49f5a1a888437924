package org.taylormlp.taylor;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.runtime.Engine;
import org.taylormlp.runtime.SelfText;
import org.taylormlp.synth.SyntheticModels;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.keys.OwnerKey;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Digests and signatures of releases, on a tiny synthetic Llama: a damaged tensor is refused naming it, damaged or
 * altered metadata is refused, a signature from another key or over an altered recipient is refused, unsigned and
 * old (digest-less) releases still load.
 */
class ReleaseIntegrityTest {
    @TempDir
    static Path shared;
    static Path signed, unsigned;
    static OwnerKey owner, other;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeReleases() throws IOException {
        Path gguf = shared.resolve("tiny.gguf");
        SyntheticModels.write(SyntheticModels.tiny(SyntheticModels.Family.LLAMA), "gguf", gguf, Long.MAX_VALUE);
        owner = OwnerKey.generate();
        other = OwnerKey.generate();
        signed = shared.resolve("alice.safetensors");
        unsigned = shared.resolve("plain.safetensors");
        try (Engine e = Engine.open(gguf, null, 1, 128)) {
            CalibrationStats s = Calibrator.calibrate(e.transformer(), SelfText.sample(e, 1024, 7), 0, 128, null);
            Selection.Plan plan = Selection.select("radius:0.9", s, e.model().config().activation(), 8);
            Protector.Options o = Protection.defaultOptions(e.model().config().activation());
            Protector.protect(e.model(), plan, o, signed, null, new Protector.Signing(owner, "alice"));
            Protector.protect(e.model(), plan, o, unsigned, null);
        }
    }

    /** Loads {@code p} under a policy with {@code key} (may be null), collecting the notices. */
    private static Model load(Path p, PublicKey key, boolean checkTensors, List<String> notices) {
        var policy = new ReleaseIntegrity.Policy(checkTensors, key, key == null ? null : "the test key", notices::add);
        return ScopedValue.where(ReleaseIntegrity.POLICY, policy).call(() -> org.taylormlp.runtime.Models.load(p));
    }

    private static ReleaseIntegrity.Report loadReport(Path p, PublicKey key, List<String> notices) {
        try (Model m = load(p, key, true, notices)) {
            return ReleaseIntegrity.report(m);
        }
    }

    @Test
    void signedReleaseVerifiesWithTheOwnersKeyAndNamesTheRecipient() throws IOException {
        List<String> notices = new ArrayList<>();
        ReleaseIntegrity.Report r = loadReport(signed, owner.publicKey(), notices);
        assertThat(r.tensors()).isEqualTo(ReleaseIntegrity.Tensors.VERIFIED);
        assertThat(r.signature()).isEqualTo(ReleaseIntegrity.Signature.VERIFIED);
        assertThat(r.recipient()).isEqualTo("alice");
        assertThat(r.ownerKeyId()).isEqualTo(owner.keyId());
        assertThat(r.bytesHashed()).isEqualTo(Files.size(signed) - 8 - headerLength(signed));
        assertThat(notices).singleElement().asString().contains("issued to 'alice'").contains("signature verified");

        // without a public key: tensors still checked, the signature reported as not checked
        notices.clear();
        ReleaseIntegrity.Report r2 = loadReport(signed, null, notices);
        assertThat(r2.tensors()).isEqualTo(ReleaseIntegrity.Tensors.VERIFIED);
        assertThat(r2.signature()).isEqualTo(ReleaseIntegrity.Signature.NOT_CHECKED);
        assertThat(notices).singleElement().asString().contains("issued to 'alice'").contains("not checked");

        // signing changes no weight: both releases hold the same tensors with the same digests
        try (SafetensorsFile a = SafetensorsFile.open(signed); SafetensorsFile b = SafetensorsFile.open(unsigned)) {
            assertThat(a.metadata().get(ReleaseFormat.KEY_TENSOR_SHA256)).isEqualTo(b.metadata().get(ReleaseFormat.KEY_TENSOR_SHA256));
            assertThat(b.metadata()).doesNotContainKeys(ReleaseFormat.KEY_SIGNATURE, ReleaseFormat.KEY_RECIPIENT);
            // the recorded digest is the SHA-256 of the stored bytes
            var digests = new com.fasterxml.jackson.databind.ObjectMapper().readTree(a.metadata().get(ReleaseFormat.KEY_TENSOR_SHA256));
            String name = a.tensorNames().get(3);
            java.security.MessageDigest md = sha256();
            SafetensorsWriter.digest(md, a.rawBytes(name));
            assertThat(digests.get(name).asText()).isEqualTo(HexFormat.of().formatHex(md.digest()));
        }
    }

    @Test
    void damagedTensorIsRefusedWithATypedErrorNamingIt() throws IOException {
        for (String victim : List.of(ReleaseFormat.taylorTheta(1), "token_embd.weight", ReleaseFormat.taylorInBias(0))) {
            Path bad = dir.resolve("flipped.safetensors");
            Files.copy(signed, bad, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            flipInsideTensor(bad, victim);
            for (PublicKey key : new PublicKey[]{null, owner.publicKey()}) {
                assertThatThrownBy(() -> load(bad, key, true, new ArrayList<>()).close())
                        .isInstanceOfSatisfying(ReleaseIntegrityException.class, e -> assertThat(e.tensor()).isEqualTo(victim))
                        .hasMessageContaining(bad.toString()).hasMessageContaining("tensor '" + victim + "' is damaged");
            }
            // --no-verify: loads, with a warning that nothing was checked
            List<String> notices = new ArrayList<>();
            try (Model m = load(bad, null, false, notices)) {
                assertThat(ReleaseIntegrity.report(m).tensors()).isEqualTo(ReleaseIntegrity.Tensors.NOT_CHECKED);
            }
            assertThat(notices).anyMatch(n -> n.contains("--no-verify"));
        }
    }

    @Test
    void damagedMetadataIsRefused() throws IOException {
        Path bad = dir.resolve("meta.safetensors");
        Files.copy(unsigned, bad);
        // change one character inside the source_name value: the header stays valid JSON of the same length
        byte[] b = Files.readAllBytes(bad);
        int at = indexOf(b, "\"source_name\":\"".getBytes(StandardCharsets.UTF_8)) + "\"source_name\":\"".length();
        b[at] = (byte) (b[at] == 'x' ? 'y' : 'x');
        Files.write(bad, b);
        assertThatThrownBy(() -> load(bad, null, true, new ArrayList<>()).close())
                .isInstanceOfSatisfying(ReleaseIntegrityException.class, e -> assertThat(e.tensor()).isNull())
                .hasMessageContaining("metadata is damaged or was altered");
        // a digest table that no longer lists every tensor is refused too, even with a consistent metadata digest
        Path dropped = dir.resolve("dropped.safetensors");
        rewrite(unsigned, dropped, md -> md.put(ReleaseFormat.KEY_TENSOR_SHA256,
                md.get(ReleaseFormat.KEY_TENSOR_SHA256).replaceFirst("\"token_embd.weight\":\"[0-9a-f]{64}\",?", "")), true);
        assertThatThrownBy(() -> load(dropped, null, true, new ArrayList<>()).close())
                .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("'token_embd.weight' has no digest");
    }

    @Test
    void signatureFromAnotherKeyIsRefused() throws IOException {
        assertThatThrownBy(() -> load(signed, other.publicKey(), true, new ArrayList<>()).close())
                .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("not by the test key");
        // a forger who claims the owner's key ID (and fixes the metadata digest) still lacks the owner's signature
        Path forged = dir.resolve("forged.safetensors");
        rewrite(signed, forged, md -> md.put(ReleaseFormat.KEY_OWNER_KEY_ID, other.keyId()), true);
        assertThatThrownBy(() -> load(forged, other.publicKey(), true, new ArrayList<>()).close())
                .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("signature does not verify");
    }

    @Test
    void tamperedRecipientIsRefused() throws IOException {
        // edited in place: the metadata digest catches it, with or without the public key
        Path inPlace = dir.resolve("inplace.safetensors");
        byte[] b = Files.readAllBytes(signed);
        int at = indexOf(b, "\"recipient\":\"alice\"".getBytes(StandardCharsets.UTF_8));
        assertThat(at).isPositive();
        byte[] mallo = "mallo".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(mallo, 0, b, at + "\"recipient\":\"".length(), mallo.length);
        Files.write(inPlace, b);
        for (PublicKey key : new PublicKey[]{null, owner.publicKey()}) {
            assertThatThrownBy(() -> load(inPlace, key, true, new ArrayList<>()).close())
                    .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("metadata");
        }
        // edited with a recomputed metadata digest: only the signature can tell, so only --public refuses it
        Path rewritten = dir.resolve("rewritten.safetensors");
        rewrite(signed, rewritten, md -> md.put(ReleaseFormat.KEY_RECIPIENT, "mallory"), true);
        assertThatThrownBy(() -> load(rewritten, owner.publicKey(), true, new ArrayList<>()).close())
                .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("signature does not verify");
        List<String> notices = new ArrayList<>();
        assertThat(loadReport(rewritten, null, notices).signature()).isEqualTo(ReleaseIntegrity.Signature.NOT_CHECKED);
        assertThat(notices).singleElement().asString().contains("'mallory'").contains("not checked");
    }

    @Test
    void unsignedReleaseLoadsAndIsRefusedOnlyWhenASignatureIsDemanded() {
        List<String> notices = new ArrayList<>();
        ReleaseIntegrity.Report r = loadReport(unsigned, null, notices);
        assertThat(r.tensors()).isEqualTo(ReleaseIntegrity.Tensors.VERIFIED);
        assertThat(r.signature()).isEqualTo(ReleaseIntegrity.Signature.UNSIGNED);
        assertThat(r.recipient()).isNull();
        assertThat(notices).isEmpty();
        assertThatThrownBy(() -> load(unsigned, owner.publicKey(), true, new ArrayList<>()).close())
                .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("not signed");
    }

    @Test
    void oldReleaseWithoutDigestsLoadsWithANotice() throws IOException {
        Path old = dir.resolve("old.safetensors");
        rewrite(unsigned, old, md -> {
            md.remove(ReleaseFormat.KEY_TENSOR_SHA256);
            md.remove(ReleaseFormat.KEY_METADATA_SHA256);
        }, false);
        List<String> notices = new ArrayList<>();
        try (Engine e = ScopedValue.where(ReleaseIntegrity.POLICY, new ReleaseIntegrity.Policy(true, null, null, notices::add))
                .call(() -> Engine.open(old, null, 1, 64))) {
            assertThat(ReleaseIntegrity.report(e.model()).tensors()).isEqualTo(ReleaseIntegrity.Tensors.NO_DIGESTS);
            float[] logits = e.transformer().forward(e.model().tokenizer().bosId(), 0);
            for (float v : logits) assertThat(v).isFinite();
        }
        assertThat(notices).singleElement().asString().contains("has no digests");
        // stripping the digests of a signed release does not turn it into an "old" one
        Path stripped = dir.resolve("stripped.safetensors");
        rewrite(signed, stripped, md -> {
            md.remove(ReleaseFormat.KEY_TENSOR_SHA256);
            md.remove(ReleaseFormat.KEY_METADATA_SHA256);
        }, false);
        assertThatThrownBy(() -> load(stripped, null, true, new ArrayList<>()).close())
                .isInstanceOf(ReleaseIntegrityException.class).hasMessageContaining("digests")
                .hasMessageContaining("removed");
    }

    @Test
    void canonicalFormIsIndependentOfMetadataOrderAndCoversTheTensorTable() {
        List<SafetensorsFile.TableEntry> t = List.of(new SafetensorsFile.TableEntry("a", "F32", new long[]{2}, 0, 8));
        Map<String, String> m1 = new LinkedHashMap<>();
        m1.put("x", "1");
        m1.put("y", "2");
        Map<String, String> m2 = new LinkedHashMap<>();
        m2.put("y", "2");
        m2.put("x", "1");
        m2.put(ReleaseFormat.KEY_SIGNATURE, "ignored");
        assertThat(ReleaseIntegrity.canonicalBytes(m1, t)).isEqualTo(ReleaseIntegrity.canonicalBytes(m2, t));
        List<SafetensorsFile.TableEntry> t2 = List.of(new SafetensorsFile.TableEntry("a", "F32", new long[]{1, 2}, 0, 8));
        assertThat(ReleaseIntegrity.canonicalBytes(m1, t)).isNotEqualTo(ReleaseIntegrity.canonicalBytes(m1, t2));
        m2.put("x", "3");
        assertThat(ReleaseIntegrity.canonicalBytes(m1, t)).isNotEqualTo(ReleaseIntegrity.canonicalBytes(m2, t));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Copies a release with edited metadata, as an attacker with the file (but not the owner key) can: the tensors
     * are copied as they are, and with {@code fixDigest} the metadata digest is recomputed over the edit.
     */
    static void rewrite(Path src, Path dst, Consumer<Map<String, String>> edit, boolean fixDigest) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            Map<String, String> md = new LinkedHashMap<>(f.metadata());
            edit.accept(md);
            if (fixDigest) {
                md.put(ReleaseFormat.KEY_METADATA_SHA256, HexFormat.of().formatHex(sha256().digest(ReleaseIntegrity.canonicalBytes(md, f.table()))));
            }
            SafetensorsWriter w = new SafetensorsWriter();
            md.forEach(w::putMetadata);
            for (Tensor t : f.tensors()) w.addTensor(t);
            w.write(dst);
        }
    }

    /** XORs up to 4 KiB in the middle of {@code tensor}'s stored bytes. */
    static void flipInsideTensor(Path file, String tensor) throws IOException {
        long start, len;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            SafetensorsFile.TableEntry e = f.table().stream().filter(x -> x.name().equals(tensor)).findFirst().orElseThrow();
            len = Math.min(4096, e.end() - e.begin());
            start = 8 + f.headerBytes() + e.begin() + (e.end() - e.begin() - len) / 2;
        }
        byte[] b = Files.readAllBytes(file);
        for (long i = start; i < start + len; i++) b[(int) i] ^= (byte) 0x5a;
        Files.write(file, b);
    }

    static long headerLength(Path p) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            return f.headerBytes();
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
