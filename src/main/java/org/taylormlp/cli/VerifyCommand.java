package org.taylormlp.cli;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.runtime.Engine;
import org.taylormlp.format.ModelFormatException;
import org.taylormlp.format.gguf.GgufFile;
import org.taylormlp.format.safetensors.SafetensorsFile;
import org.taylormlp.model.Model;
import org.taylormlp.model.ModelLoader;
import org.taylormlp.taylor.ReleaseFormat;
import org.taylormlp.taylor.ReleaseIntegrity;
import org.taylormlp.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Check a file before trusting it. A release: the SHA-256 of every tensor and of the metadata, and with"
                + " --public the owner's signature (then prints who the copy was issued to). A GGUF file, Hugging Face folder,"
                + " safetensors file or llama2.c .bin: every structural rule of its format (bytes after the last tensor"
                + " included), and that every tensor is readable and finite.",
                "Exit code 0: all checks passed; 1: damaged, tampered, not signed by --public, or unreadable (the error names"
                + " what failed); 2: usage error."})
public final class VerifyCommand implements Runnable {
    @Parameters(index = "0", paramLabel = "FILE", description = "release, GGUF, safetensors file, Hugging Face folder or llama2.c .bin")
    Path path;

    @Option(names = "--public", paramLabel = "KEY", description = "owner public key: the release must carry a valid signature by it")
    Path publicKey;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin for llama2.c checkpoints (default: beside the model)")
    Path tokenizer;

    @Override
    public void run() {
        long t0 = System.nanoTime();
        if (!Files.exists(path)) throw new ModelFormatException(path, "no such file or folder");
        if (isRelease(path)) {
            ReleaseIntegrity.Policy policy = ModelOptions.releasePolicy(publicKey, false);
            try (Model m = ScopedValue.where(ReleaseIntegrity.POLICY, new ReleaseIntegrity.Policy(true, policy.publicKey(),
                    policy.publicKeyName(), s -> { })).call(() -> org.taylormlp.runtime.Models.load(path))) {
                ReleaseIntegrity.Report r = ReleaseIntegrity.report(m);
                System.out.println("OK " + path + ": taylormlp release; " + r.describe());
                if (r.recipient() != null) {
                    System.out.println("issued to: " + r.recipient() + (r.signature() == ReleaseIntegrity.Signature.VERIFIED
                            ? " (signature verified with " + publicKey + ")" : " (not authenticated: signature not checked, no --public)"));
                    System.out.println("owner key id: " + r.ownerKeyId());
                }
                if (r.tensors() == ReleaseIntegrity.Tensors.NO_DIGESTS) {
                    System.out.println("notice: written without digests (older taylormlp): structure checked, tensor bytes not");
                }
            }
            return;
        }
        if (publicKey != null) throw new IllegalArgumentException("--public applies to taylormlp releases; " + path + " is not one");
        if (isGguf(path)) checkGgufEnd(path);
        Check c = isSafetensors(path) && !Files.isRegularFile(path.toAbsolutePath().getParent().resolve("config.json"))
                ? checkSafetensorsFile(path) : checkModel(path, tokenizer);
        if (!c.nonFinite.isEmpty()) {
            throw new TaylorMlpException(path + ": " + c.nonFinite.size() + " tensor(s) hold NaN or infinite values: "
                    + String.join(", ", c.nonFinite.subList(0, Math.min(5, c.nonFinite.size()))) + (c.nonFinite.size() > 5 ? ", ..." : ""));
        }
        System.out.printf(Locale.ROOT, "OK %s: %s; structure valid; %d tensors (%,d bytes) read, all values finite (%.2f s)%n", path,
                c.kind, c.tensors, c.bytes, (System.nanoTime() - t0) / 1e9);
    }

    private static volatile long sink;

    private record Check(String kind, int tensors, long bytes, List<String> nonFinite) {}

    /** Loads with every structural rule of the format, then reads each tensor through. */
    private static Check checkModel(Path p, Path tokenizer) {
        try (Model m = org.taylormlp.runtime.Models.load(p, tokenizer)) {
            List<String> bad = new ArrayList<>();
            long bytes = 0;
            for (Map.Entry<String, Tensor> e : m.tensors().entrySet()) {
                bytes += e.getValue().byteSize();
                long n = nonFinite(e.getValue());
                if (n > 0) bad.add(e.getKey() + " (" + n + ")");
            }
            return new Check(m.format() + " " + m.config().architecture(), m.tensors().size(), bytes, bad);
        }
    }

    /** A lone safetensors file (no config.json beside it): the header rules, then every tensor read through. */
    private static Check checkSafetensorsFile(Path p) {
        try (SafetensorsFile f = ModelLoader.io(p, () -> SafetensorsFile.open(p))) {
            List<String> bad = new ArrayList<>();
            long bytes = 0;
            for (String name : f.tensorNames()) {
                String dt = f.dtypeOf(name);
                if (dt.equals("F32") || dt.equals("F16") || dt.equals("BF16")) {
                    Tensor t = f.tensor(name);
                    long n = nonFinite(t);
                    if (n > 0) bad.add(name + " (" + n + ")");
                    bytes += t.byteSize();
                } else {
                    MemorySegment s = f.rawBytes(name);
                    long sum = 0;
                    for (long i = 0; i < s.byteSize(); i += 4096) sum += s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
                    sink += sum; // every page was read
                    bytes += s.byteSize();
                }
            }
            return new Check("safetensors file", f.tensorNames().size(), bytes, bad);
        }
    }

    /** Number of NaN/infinite values, reading the tensor through in chunks. */
    static long nonFinite(Tensor t) {
        long n = t.size(), bad = 0;
        float[] buf = new float[(int) Math.min(n, 1 << 16)];
        for (long start = 0; start < n; ) {
            int len = (int) Math.min(buf.length, n - start);
            t.read(start, buf, 0, len);
            for (int i = 0; i < len; i++) if (!Float.isFinite(buf[i])) bad++;
            start += len;
        }
        if (t.data().isMapped() && t.byteSize() >= (64L << 20)) t.data().unload();
        return bad;
    }

    /**
     * Loading a GGUF file ignores bytes after its last tensor (with a notice, as llama.cpp ignores them); as a check
     * of the file, they are a problem: no writer leaves them, so they were appended or the file is damaged.
     */
    private static void checkGgufEnd(Path p) {
        try (GgufFile g = ModelLoader.io(p, () -> GgufFile.open(p))) {
            if (g.trailingBytes() > 0) {
                throw new ModelFormatException(p, g.trailingBytes() + " bytes after the last tensor (the tensors and their"
                        + " padding end at offset " + g.dataEnd() + ", the file has " + g.fileSize() + " bytes): data"
                        + " appended to the file or a damaged file; loading ignores them");
            }
        }
    }

    private static boolean isGguf(Path p) {
        if (!Files.isRegularFile(p)) return false;
        try (InputStream in = Files.newInputStream(p)) {
            byte[] h = in.readNBytes(4);
            return h.length == 4 && h[0] == 'G' && h[1] == 'G' && h[2] == 'U' && h[3] == 'F';
        } catch (IOException e) {
            throw new ModelFormatException(p, "cannot read: " + e.getMessage(), e);
        }
    }

    private static boolean isSafetensors(Path p) {
        if (!Files.isRegularFile(p)) return false;
        byte[] head;
        try (InputStream in = Files.newInputStream(p)) {
            head = in.readNBytes(9);
        } catch (IOException e) {
            throw new ModelFormatException(p, "cannot read: " + e.getMessage(), e);
        }
        if (head.length < 9 || head[8] != '{') return false;
        long n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | (head[i] & 0xff);
        return n >= 2 && n <= SafetensorsFile.MAX_HEADER_BYTES;
    }

    private static boolean isRelease(Path p) {
        if (!isSafetensors(p)) return false;
        try (SafetensorsFile f = ModelLoader.io(p, () -> SafetensorsFile.open(p))) {
            return ReleaseFormat.FORMAT.equals(f.metadata().get(ReleaseFormat.KEY_FORMAT));
        }
    }
}
