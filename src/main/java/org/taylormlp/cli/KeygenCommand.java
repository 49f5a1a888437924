package org.taylormlp.cli;

import org.taylormlp.TaylorMlpException;
import org.taylormlp.keys.OwnerKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = {"Write a new owner key: an Ed25519 key pair that signs releases (protect --owner-key) and a secret for"
                + " per-recipient fingerprints. The file is created with owner-only permissions (0600) and never overwritten:"
                + " keep a copy somewhere safe; without it you cannot sign further releases with the same identity.",
                "--public writes the public half, which anyone may hold to check releases (verify --public, generate --public)."})
public final class KeygenCommand implements Runnable {
    @Option(names = "--out", required = true, paramLabel = "KEY", description = "owner key file to create (must not exist)")
    Path out;

    @Option(names = "--public", paramLabel = "PUB", description = "also write the public key here (must not exist)")
    Path pub;

    @Override
    public void run() {
        if (Files.exists(out)) {
            throw new TaylorMlpException("refusing to overwrite " + out + ": it exists (an owner key cannot be replaced without"
                    + " losing the ability to sign as that owner; choose another file name)");
        }
        if (pub != null) {
            if (pub.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("--public must be a different file from --out");
            }
            if (Files.exists(pub)) throw new TaylorMlpException("refusing to overwrite " + pub + ": it exists");
        }
        OwnerKey k = OwnerKey.generate();
        try {
            Path dir = out.toAbsolutePath().getParent();
            if (dir != null && !Files.isDirectory(dir)) throw new TaylorMlpException("cannot write " + out + ": no such folder " + dir);
            k.write(out);
            if (pub != null) k.writePublic(pub);
        } catch (IOException e) {
            throw new TaylorMlpException("cannot write the owner key: " + e.getMessage(), e);
        } finally {
            k.wipe();
        }
        System.out.println("owner key:  " + out + " (mode 0600; keep it secret and backed up)");
        System.out.println("key id:     " + k.keyId());
        if (pub != null) System.out.println("public key: " + pub);
    }
}
