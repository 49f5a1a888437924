package org.taylormlp.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The owner's secret: an Ed25519 key pair (signs releases) and a fingerprint secret of {@value #SECRET_BYTES}
 * random bytes (keys the per-recipient marks). Stored as a small JSON file:
 * <pre>{"format":"taylormlp-owner-key","version":1,"ed25519_private":"&lt;base64 PKCS#8&gt;",
 *  "ed25519_public":"&lt;base64 X.509&gt;","fingerprint_secret":"&lt;base64&gt;"}</pre>
 * The file is written with owner-only permissions (0600) and never overwritten. The public half is exported on its
 * own by {@link #writePublic}: {@code {"format":"taylormlp-owner-public-key","version":1,"ed25519_public":"..."}}.
 */
public final class OwnerKey {
    public static final String FORMAT = "taylormlp-owner-key";
    public static final String PUBLIC_FORMAT = "taylormlp-owner-public-key";
    public static final int VERSION = 1;
    public static final int SECRET_BYTES = 32;
    private static final long MAX_FILE_BYTES = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KeyPair keyPair;
    private final byte[] fingerprintSecret;

    private OwnerKey(KeyPair keyPair, byte[] fingerprintSecret) {
        this.keyPair = keyPair;
        this.fingerprintSecret = fingerprintSecret.clone();
    }

    /** A fresh key from the platform's strong random source. */
    public static OwnerKey generate() {
        try {
            SecureRandom rnd = SecureRandom.getInstanceStrong();
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(255, rnd);
            byte[] secret = new byte[SECRET_BYTES];
            rnd.nextBytes(secret);
            return new OwnerKey(g.generateKeyPair(), secret);
        } catch (GeneralSecurityException e) {
            throw new TaylorMlpException("cannot generate an Ed25519 key: " + e.getMessage(), e);
        }
    }

    public PrivateKey privateKey() { return keyPair.getPrivate(); }
    public PublicKey publicKey() { return keyPair.getPublic(); }
    /** A copy of the fingerprint secret. */
    public byte[] fingerprintSecret() { return fingerprintSecret.clone(); }

    /** Writes the key to a new file (refuses to overwrite one) with permissions 0600, atomically. */
    public void write(Path file) throws IOException {
        if (Files.exists(file)) throw new FileAlreadyExistsException(file.toString(), null, "refusing to overwrite an owner key");
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("ed25519_private", b64(keyPair.getPrivate().getEncoded()));
        o.put("ed25519_public", b64(keyPair.getPublic().getEncoded()));
        o.put("fingerprint_secret", b64(fingerprintSecret));
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
        AtomicFiles.write(file, ch -> {
            Path tmp = AtomicFiles.tmpFor(file);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // non-POSIX file system: nothing finer to set
            }
            AtomicFiles.writeFully(ch, java.nio.ByteBuffer.wrap(bytes));
        });
    }

    /** Writes the public half (safe to hand out). */
    public void writePublic(Path file) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", PUBLIC_FORMAT);
        o.put("version", VERSION);
        o.put("ed25519_public", b64(keyPair.getPublic().getEncoded()));
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
        AtomicFiles.write(file, ch -> AtomicFiles.writeFully(ch, java.nio.ByteBuffer.wrap(bytes)));
    }

    /** Reads an owner key; any problem is a {@link TaylorMlpException} that says what is wrong with the file. */
    public static OwnerKey read(Path file) {
        JsonNode o = readJson(file, "owner key");
        String format = o.path("format").asText("");
        if (format.equals(PUBLIC_FORMAT)) {
            throw new TaylorMlpException(file + " is an owner *public* key; this needs the owner key written by keygen --out");
        }
        requireFormat(file, o, FORMAT, "owner key");
        try {
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = kf.generatePrivate(new PKCS8EncodedKeySpec(b64d(file, o, "ed25519_private")));
            PublicKey pub = kf.generatePublic(new X509EncodedKeySpec(b64d(file, o, "ed25519_public")));
            byte[] secret = b64d(file, o, "fingerprint_secret");
            if (secret.length < SECRET_BYTES) {
                throw new TaylorMlpException("owner key " + file + ": fingerprint_secret has " + secret.length
                        + " bytes, needs at least " + SECRET_BYTES);
            }
            OwnerKey k = new OwnerKey(new KeyPair(pub, priv), secret);
            k.checkPair(file);
            return k;
        } catch (GeneralSecurityException e) {
            throw new TaylorMlpException("owner key " + file + " is damaged: " + e.getMessage(), e);
        }
    }

    /** Reads a public key file; an owner key file is accepted too (its public half is used). */
    public static PublicKey readPublic(Path file) {
        JsonNode o = readJson(file, "public key");
        String format = o.path("format").asText("");
        if (!format.equals(PUBLIC_FORMAT) && !format.equals(FORMAT)) requireFormat(file, o, PUBLIC_FORMAT, "public key");
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(b64d(file, o, "ed25519_public")));
        } catch (GeneralSecurityException e) {
            throw new TaylorMlpException("public key " + file + " is damaged: " + e.getMessage(), e);
        }
    }

    /** Signs and verifies a fixed message, so a file whose halves do not belong together is refused on load. */
    private void checkPair(Path file) throws GeneralSecurityException {
        byte[] probe = "taylormlp owner key check".getBytes(StandardCharsets.UTF_8);
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initSign(keyPair.getPrivate());
        s.update(probe);
        byte[] sig = s.sign();
        s.initVerify(keyPair.getPublic());
        s.update(probe);
        if (!s.verify(sig)) throw new TaylorMlpException("owner key " + file + " is damaged: its private and public keys do not match");
    }

    private static JsonNode readJson(Path file, String what) {
        try {
            if (!Files.isRegularFile(file)) throw new TaylorMlpException(what + " " + file + " not found");
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) throw new TaylorMlpException(file + " is not a taylormlp " + what + " (" + size + " bytes)");
            JsonNode o = JSON.readTree(Files.readAllBytes(file));
            if (o == null || !o.isObject()) throw new TaylorMlpException(file + " is not a taylormlp " + what + " (not a JSON object)");
            return o;
        } catch (IOException e) {
            throw new TaylorMlpException(file + " is not a taylormlp " + what + ": " + e.getMessage(), e);
        }
    }

    private static void requireFormat(Path file, JsonNode o, String expected, String what) {
        String format = o.path("format").asText("");
        if (!format.equals(expected)) {
            throw new TaylorMlpException(file + " is not a taylormlp " + what + " (format \"" + format + "\", expected \"" + expected + "\")");
        }
        int v = o.path("version").asInt(-1);
        if (v != VERSION) throw new TaylorMlpException(what + " " + file + ": unsupported version " + o.path("version"));
    }

    private static byte[] b64d(Path file, JsonNode o, String key) {
        JsonNode n = o.get(key);
        if (n == null || !n.isTextual()) throw new TaylorMlpException("owner key " + file + " is damaged: missing " + key);
        try {
            return Base64.getDecoder().decode(n.asText());
        } catch (IllegalArgumentException e) {
            throw new TaylorMlpException("owner key " + file + " is damaged: " + key + " is not base64", e);
        }
    }

    private static String b64(byte[] b) { return Base64.getEncoder().encodeToString(b); }

    @Override public String toString() { return "OwnerKey[" + keyPair.getPublic().getAlgorithm() + "]"; }

    /** The key ID of a public key: hex SHA-256 of its X.509 DER encoding (what releases record as owner_key_id). */
    public static String keyId(PublicKey key) {
        return org.taylormlp.Digests.sha256Hex(key.getEncoded());
    }

    /** This key's ID ({@link #keyId(PublicKey)} of its public half). */
    public String keyId() { return keyId(keyPair.getPublic()); }

    /** Ed25519 signature of {@code message} (64 bytes). */
    public byte[] sign(byte[] message) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("Ed25519");
            s.initSign(keyPair.getPrivate());
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new TaylorMlpException("cannot sign with the owner key: " + e.getMessage(), e);
        }
    }

    /** Whether {@code signature} is a valid Ed25519 signature of {@code message} under {@code key}. */
    public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (java.security.SignatureException e) {
            return false; // malformed signature bytes
        } catch (GeneralSecurityException e) {
            throw new TaylorMlpException("cannot verify an Ed25519 signature: " + e.getMessage(), e);
        }
    }

    /** Wipes the in-memory fingerprint secret. */
    public void wipe() { Arrays.fill(fingerprintSecret, (byte) 0); }
}
