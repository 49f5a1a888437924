package org.taylormlp.taylor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.taylormlp.TaylorMlpException;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.format.safetensors.SafetensorsWriter;
import org.taylormlp.keys.OwnerKey;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Digests and signatures of releases (docs/RELEASE_FORMAT.md, "Integrity and signature").
 *
 * <p>Every release records the SHA-256 of each tensor's stored bytes ({@code tensor_sha256}) and the SHA-256 of its
 * canonical form ({@code metadata_sha256}); a release protected with an owner key also records the recipient, the
 * owner's key ID and an Ed25519 signature of the same canonical form. The canonical form ({@link #canonicalBytes})
 * covers every metadata entry except {@code metadata_sha256} and {@code signature} (so it covers the tensor
 * digests and the recipient) and the tensor table (names, dtypes, shapes, offsets).
 *
 * <p>Loading checks a release under the {@link Policy} bound to {@link #POLICY} (default: check every tensor, no
 * public key): metadata digest first, then the signature when a public key is given, then every tensor, streamed
 * from the mapping on several threads. Any mismatch is a {@link ReleaseIntegrityException} naming what failed.
 */
public final class ReleaseIntegrity {
    private ReleaseIntegrity() {}

    /** First bytes of the canonical form (domain separation from any other signed message). */
    public static final String CANONICAL_MAGIC = "taylormlp-release-canonical-v1\n";
    public static final String SIGNATURE_ALGORITHM = "Ed25519";
    /** Model metadata key under which a loaded release exposes its {@link Report}. */
    public static final String MODEL_METADATA_KEY = "taylormlp.release.integrity";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ZERO_HEX = "0".repeat(64);
    private static final long UNLOAD_AFTER_HASH_BYTES = 64L << 20;

    /**
     * How a release is checked when it is loaded.
     *
     * @param checkTensors  hash every tensor (false: {@code --no-verify}; metadata and signature are still checked)
     * @param publicKey     the owner's public key: the release must carry a valid signature by it; null = signature
     *                      not checked
     * @param publicKeyName how to name that key in messages (e.g. its file)
     * @param notices       where one-line notices go (recipient, missing digests, skipped checks)
     */
    public record Policy(boolean checkTensors, PublicKey publicKey, String publicKeyName, Consumer<String> notices) {
        public static Policy defaults() { return new Policy(true, null, null, System.err::println); }
    }

    /** The policy in force for loads in the current scope; unbound = {@link Policy#defaults()}. */
    public static final ScopedValue<Policy> POLICY = ScopedValue.newInstance();

    public static Policy policy() { return POLICY.orElse(Policy.defaults()); }

    /** What was found about the tensors. */
    public enum Tensors { VERIFIED, NOT_CHECKED, NO_DIGESTS }

    /** What was found about the signature. */
    public enum Signature { UNSIGNED, VERIFIED, NOT_CHECKED }

    /** Result of a successful check. */
    public record Report(Tensors tensors, Signature signature, String recipient, String ownerKeyId, int tensorCount,
                         long bytesHashed, long nanos, long hashCpuNanos) {
        /** One line for people, e.g. for {@code verify}. */
        public String describe() {
            String t = switch (tensors) {
                case VERIFIED -> String.format(java.util.Locale.ROOT, "%d tensors verified (%,d bytes, SHA-256) in %.2f s"
                        + " (%.2f CPU-s hashing, %.2f GB per CPU-s)", tensorCount, bytesHashed, nanos / 1e9, hashCpuNanos / 1e9,
                        hashCpuNanos > 0 ? bytesHashed / (double) hashCpuNanos : 0);
                case NOT_CHECKED -> "tensors NOT checked (--no-verify)";
                case NO_DIGESTS -> "no digests (written before releases were checksummed): tensors cannot be checked";
            };
            String s = switch (signature) {
                case UNSIGNED -> "unsigned";
                case VERIFIED -> "signature verified";
                case NOT_CHECKED -> "signature not checked (no --public)";
            };
            return t + "; " + s;
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Adds the integrity keys to a release about to be written by {@code w} (after all other metadata and
     * tensors were added): placeholders now, real digests and signature once the data is written.
     *
     * @param key       the owner key to sign with, or null for an unsigned release
     * @param recipient the recipient ID (required with a key, must be null without)
     */
    public static void prepare(SafetensorsWriter w, OwnerKey key, String recipient) {
        if ((key == null) != (recipient == null)) throw new IllegalArgumentException("an owner key and a recipient go together");
        if (key != null) {
            checkRecipient(recipient);
            w.putMetadata(ReleaseFormat.KEY_RECIPIENT, recipient);
            w.putMetadata(ReleaseFormat.KEY_OWNER_KEY_ID, key.keyId());
            w.putMetadata(ReleaseFormat.KEY_SIGNATURE_ALGORITHM, SIGNATURE_ALGORITHM);
        }
        ObjectNode placeholder = JSON.createObjectNode();
        for (String n : w.tensorNames()) placeholder.put(n, ZERO_HEX);
        w.putMetadata(ReleaseFormat.KEY_TENSOR_SHA256, placeholder.toString());
        w.putMetadata(ReleaseFormat.KEY_METADATA_SHA256, ZERO_HEX);
        if (key != null) w.putMetadata(ReleaseFormat.KEY_SIGNATURE, Base64.getEncoder().encodeToString(new byte[64]));
        w.withTensorDigests((metadata, table, sha) -> {
            ObjectNode digests = JSON.createObjectNode();
            for (SafetensorsFile.TableEntry e : table) digests.put(e.name(), HexFormat.of().formatHex(sha.get(e.name())));
            Map<String, String> md = new LinkedHashMap<>(metadata);
            md.put(ReleaseFormat.KEY_TENSOR_SHA256, digests.toString());
            byte[] canonical = canonicalBytes(md, table);
            Map<String, String> patch = new LinkedHashMap<>();
            patch.put(ReleaseFormat.KEY_TENSOR_SHA256, digests.toString());
            patch.put(ReleaseFormat.KEY_METADATA_SHA256, HexFormat.of().formatHex(sha256(canonical)));
            if (key != null) patch.put(ReleaseFormat.KEY_SIGNATURE, Base64.getEncoder().encodeToString(key.sign(canonical)));
            return patch;
        });
    }

    /**
     * Recipient IDs: 1..200 characters, not blank, no comma (trace takes comma-separated lists) and no control
     * character. The one rule for signing, marking and tracing.
     */
    public static void checkRecipient(String recipient) {
        if (recipient == null || recipient.isBlank()) throw new TaylorMlpException("the recipient ID must not be empty");
        if (recipient.length() > 200) throw new TaylorMlpException("the recipient ID is longer than 200 characters");
        for (int i = 0; i < recipient.length(); i++) {
            char ch = recipient.charAt(i);
            if (ch == ',' || Character.isISOControl(ch)) {
                throw new TaylorMlpException("the recipient ID '" + recipient.replaceAll("\\p{Cntrl}", "?")
                        + "' contains a comma or a control character");
            }
        }
    }

    /**
     * The canonical form that {@code metadata_sha256} digests and the signature signs (all integers little-endian):
     * <pre>
     * "taylormlp-release-canonical-v1\n"
     * u32 M; M x (u32 len, key UTF-8, u32 len, value UTF-8)     metadata except metadata_sha256 and signature,
     *                                                            sorted by the keys' UTF-8 bytes (unsigned)
     * u32 T; T x (u32 len, name UTF-8, u32 len, dtype ASCII,      tensor table sorted by data offset
     *             u32 rank, rank x u64 dim, u64 begin, u64 end)
     * </pre>
     */
    public static byte[] canonicalBytes(Map<String, String> metadata, List<SafetensorsFile.TableEntry> table) {
        List<byte[][]> entries = new ArrayList<>();
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey().equals(ReleaseFormat.KEY_METADATA_SHA256) || e.getKey().equals(ReleaseFormat.KEY_SIGNATURE)) continue;
            entries.add(new byte[][]{utf8(e.getKey()), utf8(e.getValue())});
        }
        entries.sort((a, b) -> Arrays.compareUnsigned(a[0], b[0]));
        List<SafetensorsFile.TableEntry> sorted = new ArrayList<>(table);
        sorted.sort(Comparator.comparingLong(SafetensorsFile.TableEntry::begin).thenComparingLong(SafetensorsFile.TableEntry::end));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(utf8(CANONICAL_MAGIC));
        u32(out, entries.size());
        for (byte[][] e : entries) {
            u32(out, e[0].length);
            out.writeBytes(e[0]);
            u32(out, e[1].length);
            out.writeBytes(e[1]);
        }
        u32(out, sorted.size());
        for (SafetensorsFile.TableEntry t : sorted) {
            byte[] n = utf8(t.name()), d = utf8(t.dtype());
            u32(out, n.length);
            out.writeBytes(n);
            u32(out, d.length);
            out.writeBytes(d);
            u32(out, t.shape().length);
            for (long dim : t.shape()) u64(out, dim);
            u64(out, t.begin());
            u64(out, t.end());
        }
        return out.toByteArray();
    }

    // ------------------------------------------------------------------ checking

    /** Checks {@code f} (a release) under {@code p}; returns what was checked or throws naming what failed. */
    public static Report verify(SafetensorsFile f, Policy p) {
        long t0 = System.nanoTime();
        Path path = f.path();
        Map<String, String> md = f.metadata();
        boolean hasT = md.containsKey(ReleaseFormat.KEY_TENSOR_SHA256), hasM = md.containsKey(ReleaseFormat.KEY_METADATA_SHA256);
        boolean signedKeys = md.containsKey(ReleaseFormat.KEY_SIGNATURE) || md.containsKey(ReleaseFormat.KEY_RECIPIENT)
                || md.containsKey(ReleaseFormat.KEY_OWNER_KEY_ID);
        if (!hasT && !hasM) {
            if (signedKeys) throw fail(path, null, "release carries signature keys but its digests (tensor_sha256, metadata_sha256) were removed");
            if (p.publicKey() != null) {
                throw fail(path, null, "release is not signed (and has no digests), so it cannot be checked against " + p.publicKeyName());
            }
            p.notices().accept("notice: " + path.getFileName() + " has no digests (written by "
                    + md.getOrDefault(ReleaseFormat.KEY_TOOL, "an older taylormlp") + " before releases were checksummed); its tensors are not checked");
            return new Report(Tensors.NO_DIGESTS, Signature.UNSIGNED, null, null, 0, 0, System.nanoTime() - t0, 0);
        }
        if (!hasT || !hasM) {
            throw fail(path, null, "release metadata is damaged: it has '" + (hasT ? ReleaseFormat.KEY_TENSOR_SHA256 : ReleaseFormat.KEY_METADATA_SHA256)
                    + "' but lacks '" + (hasT ? ReleaseFormat.KEY_METADATA_SHA256 : ReleaseFormat.KEY_TENSOR_SHA256) + "'");
        }
        List<SafetensorsFile.TableEntry> table = f.table();
        byte[] canonical = canonicalBytes(md, table);
        String recorded = md.get(ReleaseFormat.KEY_METADATA_SHA256);
        if (!HexFormat.of().formatHex(sha256(canonical)).equalsIgnoreCase(recorded)) {
            throw fail(path, null, "release metadata is damaged or was altered: its SHA-256 does not match metadata_sha256");
        }
        Map<String, byte[]> expected = parseDigests(path, md.get(ReleaseFormat.KEY_TENSOR_SHA256), table);

        Signature sig;
        String recipient = md.get(ReleaseFormat.KEY_RECIPIENT), keyId = md.get(ReleaseFormat.KEY_OWNER_KEY_ID);
        if (md.containsKey(ReleaseFormat.KEY_SIGNATURE)) {
            if (recipient == null || keyId == null) throw fail(path, null, "signed release lacks 'recipient' or 'owner_key_id'");
            if (!SIGNATURE_ALGORITHM.equals(md.get(ReleaseFormat.KEY_SIGNATURE_ALGORITHM))) {
                throw fail(path, null, "unsupported signature algorithm '" + md.get(ReleaseFormat.KEY_SIGNATURE_ALGORITHM) + "'");
            }
            if (p.publicKey() != null) {
                String want = OwnerKey.keyId(p.publicKey());
                if (!want.equalsIgnoreCase(keyId)) {
                    throw fail(path, null, "release is signed by owner key " + abbrev(keyId) + ", not by " + p.publicKeyName()
                            + " (" + abbrev(want) + ")");
                }
                byte[] s;
                try {
                    s = Base64.getDecoder().decode(md.get(ReleaseFormat.KEY_SIGNATURE));
                } catch (IllegalArgumentException e) {
                    throw fail(path, null, "release signature is not valid base64");
                }
                if (!OwnerKey.verify(p.publicKey(), canonical, s)) {
                    throw fail(path, null, "release signature does not verify with " + p.publicKeyName()
                            + ": the metadata (recipient, tensor digests, ...) was altered after signing");
                }
                sig = Signature.VERIFIED;
            } else {
                sig = Signature.NOT_CHECKED;
            }
        } else {
            if (signedKeys) throw fail(path, null, "release names a recipient or owner key but has no signature");
            if (p.publicKey() != null) throw fail(path, null, "release is not signed, so it cannot be checked against " + p.publicKeyName());
            sig = Signature.UNSIGNED;
        }

        Tensors ts;
        long bytes = 0;
        long[] cpu = {0};
        if (p.checkTensors()) {
            bytes = checkTensors(f, table, expected, cpu);
            ts = Tensors.VERIFIED;
        } else {
            p.notices().accept("warning: --no-verify: the tensors of " + path.getFileName() + " are not checked against their digests");
            ts = Tensors.NOT_CHECKED;
        }
        if (recipient != null) {
            p.notices().accept("release issued to '" + recipient + "' by owner key " + abbrev(keyId)
                    + (sig == Signature.VERIFIED ? " (signature verified with " + p.publicKeyName() + ")" : " (signature not checked: no --public)"));
        }
        return new Report(ts, sig, recipient, keyId, table.size(), bytes, System.nanoTime() - t0, cpu[0]);
    }

    /** The report of a loaded release, or null (not a release, or loaded without checks). */
    public static Report report(org.taylormlp.model.Model m) {
        return m.metadata().get(MODEL_METADATA_KEY) instanceof Report r ? r : null;
    }

    private static Map<String, byte[]> parseDigests(Path path, String json, List<SafetensorsFile.TableEntry> table) {
        JsonNode o;
        try {
            o = JSON.readTree(json);
        } catch (IOException e) {
            throw fail(path, null, "tensor_sha256 is not valid JSON: " + e.getMessage());
        }
        if (o == null || !o.isObject()) throw fail(path, null, "tensor_sha256 is not a JSON object");
        Map<String, byte[]> out = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            String hex = e.getValue().isTextual() ? e.getValue().textValue() : "";
            if (hex.length() != 64) throw fail(path, e.getKey(), "tensor_sha256 of '" + e.getKey() + "' is not a 64-digit hex SHA-256");
            try {
                out.put(e.getKey(), HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException ex) {
                throw fail(path, e.getKey(), "tensor_sha256 of '" + e.getKey() + "' is not a 64-digit hex SHA-256");
            }
        }
        Set<String> names = new HashSet<>();
        for (SafetensorsFile.TableEntry t : table) {
            names.add(t.name());
            if (!out.containsKey(t.name())) throw fail(path, t.name(), "tensor '" + t.name() + "' has no digest in tensor_sha256");
        }
        for (String n : out.keySet()) {
            if (!names.contains(n)) throw fail(path, n, "tensor_sha256 lists tensor '" + n + "', which the file does not hold");
        }
        return out;
    }

    /** Hashes every tensor on up to 8 threads; throws for the first damaged tensor in file order. Returns bytes hashed. */
    private static long checkTensors(SafetensorsFile f, List<SafetensorsFile.TableEntry> table, Map<String, byte[]> expected,
                                     long[] cpuNanos) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.concurrent.atomic.AtomicLong cpu = new java.util.concurrent.atomic.AtomicLong();
        List<SafetensorsFile.TableEntry> bySize = new ArrayList<>(table);
        bySize.sort(Comparator.comparingLong((SafetensorsFile.TableEntry e) -> e.end() - e.begin()).reversed());
        int threads = Math.max(1, Math.min(Math.min(8, Runtime.getRuntime().availableProcessors()), table.size()));
        Map<String, Future<byte[]>> results = new HashMap<>();
        long bytes = 0;
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "release-verify");
            t.setDaemon(true);
            return t;
        });
        try {
            for (SafetensorsFile.TableEntry e : bySize) {
                MemorySegment seg = f.rawBytes(e.name());
                bytes += seg.byteSize();
                results.put(e.name(), pool.submit(() -> {
                    long c0 = mx.getCurrentThreadCpuTime();
                    MessageDigest md = newSha256();
                    SafetensorsWriter.digest(md, seg);
                    byte[] d = md.digest();
                    cpu.addAndGet(mx.getCurrentThreadCpuTime() - c0);
                    if (seg.isMapped() && seg.byteSize() >= UNLOAD_AFTER_HASH_BYTES) seg.unload();
                    return d;
                }));
            }
            List<String> damaged = new ArrayList<>();
            for (SafetensorsFile.TableEntry e : table) {
                byte[] got;
                try {
                    got = results.get(e.name()).get();
                } catch (ExecutionException ex) {
                    throw new TaylorMlpException(f.path() + ": cannot read tensor '" + e.name() + "': " + ex.getCause(), ex.getCause());
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new TaylorMlpException("interrupted while checking " + f.path());
                }
                if (!MessageDigest.isEqual(got, expected.get(e.name()))) damaged.add(e.name());
            }
            if (!damaged.isEmpty()) {
                String first = damaged.getFirst();
                throw fail(f.path(), first, "tensor '" + first + "' is damaged: the SHA-256 of its bytes does not match the digest recorded"
                        + " in the release" + (damaged.size() > 1 ? " (" + damaged.size() + " of " + table.size() + " tensors differ: "
                        + String.join(", ", damaged.subList(0, Math.min(5, damaged.size()))) + (damaged.size() > 5 ? ", ..." : "") + ")" : ""));
            }
            cpuNanos[0] = cpu.get();
            return bytes;
        } finally {
            pool.shutdownNow();
            try {
                // no hashing thread may still read the mapping when the caller closes the file after an error
                pool.awaitTermination(10, java.util.concurrent.TimeUnit.MINUTES);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ReleaseIntegrityException fail(Path p, String tensor, String problem) {
        return new ReleaseIntegrityException(p, tensor, problem);
    }

    static String abbrev(String keyId) {
        return keyId == null ? "?" : keyId.length() > 16 ? keyId.substring(0, 16) : keyId;
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    private static void u32(ByteArrayOutputStream out, int v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private static void u64(ByteArrayOutputStream out, long v) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    static byte[] sha256(byte[] b) { return org.taylormlp.Digests.sha256(b); }

    private static MessageDigest newSha256() { return org.taylormlp.Digests.sha256(); }
}
