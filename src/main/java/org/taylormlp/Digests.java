package org.taylormlp;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** SHA-256 (the JDK's) of bytes, strings and files, and removal of a folder tree: the one place for both. */
public final class Digests {
    private Digests() {}

    /** A fresh SHA-256 digest (every JDK has one). */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static byte[] sha256(byte[] b) { return sha256().digest(b); }

    /** Lower-case hex SHA-256 of bytes. */
    public static String sha256Hex(byte[] b) { return HexFormat.of().formatHex(sha256(b)); }

    /** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
    public static String sha256Hex(String s) { return sha256Hex(s.getBytes(StandardCharsets.UTF_8)); }

    /** Lower-case hex SHA-256 of a file, or of a folder's regular files concatenated in name order (streamed). */
    public static String sha256Hex(Path fileOrFolder) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(fileOrFolder)) {
            try (Stream<Path> s = Files.list(fileOrFolder)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
        } else {
            files.add(fileOrFolder);
        }
        MessageDigest md = sha256();
        byte[] buf = new byte[1 << 20];
        for (Path f : files) {
            try (InputStream in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Deletes a file or a folder with everything in it (nothing if it does not exist). */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
