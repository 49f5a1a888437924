package org.taylormlp.tensor;

import jdk.incubator.vector.FloatVector;

import static org.taylormlp.tensor.VectorKernels.F;
import static org.taylormlp.tensor.VectorKernels.L;

/**
 * {@link Kernels#attention} for prompt batches, as two small blocked products per head instead of one dot product
 * and one weighted sum per (query, key) pair:
 * <ol>
 *   <li>The head's keys are transposed once ({@code kT[i][t]}, keys contiguous); the scores of {@link #QB} queries
 *       against {@code L} keys accumulate in {@code QB} vectors, one broadcast query element and one key vector per
 *       FMA row, with no horizontal sums. Keys beyond a query's position (the causal mask) or before its window are
 *       computed over and then ignored.</li>
 *   <li>Each query's row of scores is soft-maxed over its own keys (the decode path's {@link VectorOps#softmax}).</li>
 *   <li>The outputs of two queries accumulate over the keys in vectors along the head dimension, each value vector
 *       loaded once for both queries.</li>
 * </ol>
 * Scores are summed element by element in the half-split order rather than in RoPE's pair order, so results agree with
 * the decode path to float rounding, not bit for bit.
 */
final class BatchAttention {
    /** Queries per block of scores. */
    static final int QB = 4;

    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private BatchAttention() {
    }

    static void attend(float[] q, int qOff, int qStride, int nq, float[] kc, float[] vc, int kvOff, int kvStride,
                       int firstPos, int window, int hs, float scale, float[] out, int outOff, int outStride) {
        int lastPos = firstPos + nq - 1;
        int t0 = window > 0 ? Math.max(0, firstPos - window + 1) : 0;      // first key any query sees
        int nk = lastPos - t0 + 1;
        int nkp = (nk + L - 1) / L * L;                                     // keys padded to whole vectors
        float[][] sc = SCRATCH.get();
        if (sc[0].length < hs * nkp) sc[0] = new float[hs * nkp];
        if (sc[1].length < QB * nkp) sc[1] = new float[QB * nkp];
        float[] kt = sc[0], s = sc[1];
        for (int t = 0; t < nk; t++) {
            int ko = kvOff + (t0 + t) * kvStride;
            for (int i = 0; i < hs; i++) kt[i * nkp + t] = kc[ko + i];
        }
        if (nk < nkp) for (int i = 0; i < hs; i++) java.util.Arrays.fill(kt, i * nkp + nk, i * nkp + nkp, 0f);

        for (int b0 = 0; b0 < nq; b0 += QB) {
            int qb = Math.min(QB, nq - b0);
            int last = firstPos + b0 + qb - 1 - t0;                         // last key (relative) of this block
            int kEnd = (last + 1 + L - 1) / L * L;
            scores(q, qOff + b0 * qStride, qStride, qb, kt, nkp, kEnd, hs, s);
            for (int j = 0; j < qb; j++) {
                int pos = firstPos + b0 + j;
                int start = (window > 0 ? Math.max(0, pos - window + 1) : 0) - t0;
                int end = pos - t0;                                         // inclusive
                int row = j * nkp;
                for (int t = start; t <= end; t++) s[row + t] *= scale;
                VectorOps.softmax(s, row + start, end - start + 1);
                java.util.Arrays.fill(s, row, row + start, 0f);
                java.util.Arrays.fill(s, row + end + 1, row + kEnd, 0f);
            }
            int j = 0;
            for (; j + 2 <= qb; j += 2) {
                int o0 = outOff + (b0 + j) * outStride;
                weighted2(s, j * nkp, (j + 1) * nkp, last + 1, vc, kvOff + t0 * kvStride, kvStride, hs, out, o0, o0 + outStride);
            }
            if (j < qb) {
                int o0 = outOff + (b0 + j) * outStride;
                weighted2(s, j * nkp, j * nkp, last + 1, vc, kvOff + t0 * kvStride, kvStride, hs, out, o0, o0);
            }
        }
    }

    /** s[j·nkp + t] = q_j · k_t for j < qb (rows beyond qb repeat the last query) and t < kEnd (a multiple of L). */
    private static void scores(float[] q, int qo, int qs, int qb, float[] kt, int nkp, int kEnd, int hs, float[] s) {
        int q0 = qo, q1 = qo + Math.min(1, qb - 1) * qs, q2 = qo + Math.min(2, qb - 1) * qs, q3 = qo + Math.min(3, qb - 1) * qs;
        for (int t = 0; t < kEnd; t += L) {
            FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, a2 = z, a3 = z;
            for (int i = 0; i < hs; i++) {
                FloatVector k = FloatVector.fromArray(F, kt, i * nkp + t);
                a0 = FloatVector.broadcast(F, q[q0 + i]).fma(k, a0);
                a1 = FloatVector.broadcast(F, q[q1 + i]).fma(k, a1);
                a2 = FloatVector.broadcast(F, q[q2 + i]).fma(k, a2);
                a3 = FloatVector.broadcast(F, q[q3 + i]).fma(k, a3);
            }
            a0.intoArray(s, t);
            a1.intoArray(s, nkp + t);
            a2.intoArray(s, 2 * nkp + t);
            a3.intoArray(s, 3 * nkp + t);
        }
    }

    /**
     * out[oA + i] = Σ_t s[rA + t]·v_t[i] and out[oB + i] = Σ_t s[rB + t]·v_t[i] for t < kEnd (the block's last key + 1;
     * zero weights beyond a query's keys), v_t = vc[vo + t·vs ..]; hs in vectors of L and a scalar tail.
     */
    private static void weighted2(float[] s, int rA, int rB, int kEnd, float[] vc, int vo, int vs, int hs,
                                  float[] out, int oA, int oB) {
        int i = 0;
        for (; i + 2 * L <= hs; i += 2 * L) {
            FloatVector z = FloatVector.zero(F), a0 = z, a1 = z, b0 = z, b1 = z;
            for (int t = 0; t < kEnd; t++) {
                int o = vo + t * vs + i;
                FloatVector v0 = FloatVector.fromArray(F, vc, o), v1 = FloatVector.fromArray(F, vc, o + L);
                FloatVector wa = FloatVector.broadcast(F, s[rA + t]), wb = FloatVector.broadcast(F, s[rB + t]);
                a0 = wa.fma(v0, a0); a1 = wa.fma(v1, a1);
                b0 = wb.fma(v0, b0); b1 = wb.fma(v1, b1);
            }
            a0.intoArray(out, oA + i); a1.intoArray(out, oA + i + L);
            b0.intoArray(out, oB + i); b1.intoArray(out, oB + i + L);
        }
        for (; i + L <= hs; i += L) {
            FloatVector a0 = FloatVector.zero(F), b0 = a0;
            for (int t = 0; t < kEnd; t++) {
                FloatVector v0 = FloatVector.fromArray(F, vc, vo + t * vs + i);
                a0 = FloatVector.broadcast(F, s[rA + t]).fma(v0, a0);
                b0 = FloatVector.broadcast(F, s[rB + t]).fma(v0, b0);
            }
            a0.intoArray(out, oA + i);
            b0.intoArray(out, oB + i);
        }
        for (; i < hs; i++) {
            float a = 0f, b = 0f;
            for (int t = 0; t < kEnd; t++) {
                float v = vc[vo + t * vs + i];
                a += s[rA + t] * v;
                b += s[rB + t] * v;
            }
            out[oA + i] = a;
            out[oB + i] = b;
        }
    }
}
