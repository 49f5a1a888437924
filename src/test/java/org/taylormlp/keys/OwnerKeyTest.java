package org.taylormlp.keys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.taylormlp.TaylorMlpException;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Signature;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OwnerKeyTest {
    @TempDir Path dir;

    @Test
    void roundTripsWithOwnerOnlyPermissionsAndSignsVerifiably() throws Exception {
        OwnerKey k = OwnerKey.generate();
        Path f = dir.resolve("owner.key");
        k.write(f);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        OwnerKey back = OwnerKey.read(f);
        assertThat(back.fingerprintSecret()).isEqualTo(k.fingerprintSecret()).hasSize(OwnerKey.SECRET_BYTES);
        Path pub = dir.resolve("owner.pub");
        k.writePublic(pub);
        assertThat(Files.readString(pub)).doesNotContain("private").doesNotContain("fingerprint");
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(back.privateKey());
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(OwnerKey.readPublic(pub));
        s.update(new byte[] {1, 2, 3});
        assertThat(s.verify(sig)).isTrue();
        assertThat(OwnerKey.generate().fingerprintSecret()).isNotEqualTo(k.fingerprintSecret());
    }

    @Test
    void refusesToOverwriteAndRejectsDamagedOrWrongFiles() throws Exception {
        OwnerKey k = OwnerKey.generate();
        Path f = dir.resolve("owner.key");
        k.write(f);
        byte[] before = Files.readAllBytes(f);
        assertThatThrownBy(() -> OwnerKey.generate().write(f)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readAllBytes(f)).isEqualTo(before);

        Path pub = dir.resolve("owner.pub");
        k.writePublic(pub);
        assertThatThrownBy(() -> OwnerKey.read(pub)).isInstanceOf(TaylorMlpException.class).hasMessageContaining("public");

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello");
        assertThatThrownBy(() -> OwnerKey.read(text)).isInstanceOf(TaylorMlpException.class).hasMessageContaining("not a taylormlp owner key");

        // swap in another key's public half: the pair check refuses it
        Path other = dir.resolve("other.key");
        OwnerKey.generate().write(other);
        String otherPub = new com.fasterxml.jackson.databind.ObjectMapper().readTree(other.toFile()).get("ed25519_public").asText();
        String mixed = Files.readString(f).replaceFirst("\"ed25519_public\" : \"[^\"]+\"", "\"ed25519_public\" : \"" + otherPub + "\"");
        Path mixedFile = dir.resolve("mixed.key");
        Files.writeString(mixedFile, mixed);
        assertThatThrownBy(() -> OwnerKey.read(mixedFile)).isInstanceOf(TaylorMlpException.class).hasMessageContaining("do not match");

        Path truncated = dir.resolve("trunc.key");
        Files.write(truncated, java.util.Arrays.copyOf(before, before.length / 2));
        assertThatThrownBy(() -> OwnerKey.read(truncated)).isInstanceOf(TaylorMlpException.class);
        assertThatThrownBy(() -> OwnerKey.read(dir.resolve("missing.key"))).isInstanceOf(TaylorMlpException.class).hasMessageContaining("not found");
    }
}
