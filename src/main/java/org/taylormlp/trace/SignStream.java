package org.taylormlp.trace;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * The pseudo-random ±1 pattern of one recipient over one tensor, element by element in row-major order:
 * HMAC-SHA-256 in counter mode (block c = HMAC(K_tensor, c as 8 big-endian bytes), 256 bits per block, bit i of
 * the stream is the sign of element i; 1 = −1). K_tensor = HMAC(K_recipient, tensor name), K_recipient =
 * HMAC(fingerprint secret, "taylormlp-mark-v1" 0x00 recipient). A keyed PRF stream: without the secret the
 * pattern is indistinguishable from fair coin flips, and any two recipients' patterns are independent.
 */
final class SignStream {
    private final Mac mac;
    private final byte[] counter = new byte[8];
    private final byte[] block = new byte[32];
    private long blockIndex;
    private long cur;
    private int left;

    SignStream(byte[] recipientKey, String tensorName) {
        try {
            Mac k = Mac.getInstance("HmacSHA256");
            k.init(new SecretKeySpec(recipientKey, "HmacSHA256"));
            byte[] tk = k.doFinal(tensorName.getBytes(StandardCharsets.UTF_8));
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(tk, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    static byte[] recipientKey(byte[] secret, String recipient) {
        try {
            Mac k = Mac.getInstance("HmacSHA256");
            k.init(new SecretKeySpec(secret, "HmacSHA256"));
            k.update("taylormlp-mark-v1".getBytes(StandardCharsets.US_ASCII));
            k.update((byte) 0);
            return k.doFinal(recipient.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private int words; // remaining 64-bit words of the current block
    private void refill() {
        long c = blockIndex++;
        for (int i = 7; i >= 0; i--) {
            counter[i] = (byte) c;
            c >>>= 8;
        }
        mac.update(counter);
        try {
            mac.doFinal(block, 0);
        } catch (javax.crypto.ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        words = 4;
    }

    /** The next 64 bits of the stream (bit k = sign of the k-th next element). */
    private long next64() {
        if (words == 0) refill();
        int o = (4 - words) * 8;
        words--;
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (block[o + i] & 0xffL) << (8 * i);
        return v;
    }

    /** Adds strength·|w|·s to {@code n} elements of {@code x} starting at {@code off} (x[i] += a·|x[i]|·s_i). */
    void mark(float[] x, int off, int n, double strength) {
        for (int i = 0; i < n; i++) {
            if (left == 0) {
                cur = next64();
                left = 64;
            }
            float v = x[off + i];
            double d = strength * Math.abs(v);
            x[off + i] = (float) ((cur & 1) == 0 ? v + d : v - d);
            cur >>>= 1;
            left--;
        }
    }

    /** Σ d[off+i]·s_i over the next {@code n} elements. */
    double dot(float[] d, int off, int n) {
        double s = 0;
        int i = 0;
        while (i < n) {
            if (left == 0) {
                cur = next64();
                left = 64;
            }
            int k = Math.min(left, n - i);
            long bits = cur;
            for (int j = 0; j < k; j++) {
                float v = d[off + i + j];
                s += (bits & 1) == 0 ? v : -v;
                bits >>>= 1;
            }
            cur = k == 64 ? 0 : cur >>> k;
            left -= k;
            i += k;
        }
        return s;
    }

    /** The next sign as ±1 (tests and the null-distribution check). */
    int nextSign() {
        if (left == 0) {
            cur = next64();
            left = 64;
        }
        int s = (cur & 1) == 0 ? 1 : -1;
        cur >>>= 1;
        left--;
        return s;
    }
}
