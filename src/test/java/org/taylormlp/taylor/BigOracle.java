package org.taylormlp.taylor;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import org.taylormlp.model.ModelConfig.Activation;

/**
 * Test-only high-precision oracle for the activation Taylor coefficients, deliberately built from algorithms
 * different from the main code path:
 * <ul>
 *   <li>exp by argument halving + Taylor + repeated squaring; π by Machin's formula;</li>
 *   <li>SiLU: {@code E = e^{z0+t}} has the exact coefficients {@code e^{z0}/n!}; sigmoid = {@code E·(1+E)⁻¹}
 *       by series long division (main code: Riccati recurrence);</li>
 *   <li>GELU-erf: {@code Φ(z0)} from the alternating Taylor series of erf at 0 (main: positive series /
 *       Mills-ratio continued fraction), {@code φ(z0+t) = φ(z0)·e^{−z0 t}·e^{−t²/2}} as a Cauchy product of
 *       exactly known series (main: three-term recurrence);</li>
 *   <li>GELU-tanh: the literal definition {@code ½z(1+tanh u)}, {@code tanh = (E−1)/(E+1)}, {@code E = e^{2u(t)}} as
 *       the product of the exact series of {@code e^{2u₀}}, {@code e^{2u₁t}}, {@code e^{2u₂t²}}, {@code e^{2u₃t³}}
 *       (main: sigmoid composition recurrence on {@code w = 2u}).</li>
 * </ul>
 * Working precision grows with |z0| to absorb the cancellations of these naive formulas (e.g. 1 + tanh u for
 * u ≪ 0, 1 + erf for z0 ≪ 0, the alternating erf series).
 */
final class BigOracle {
    private BigOracle() {}

    static final BigDecimal A = new BigDecimal("0.044715");

    static MathContext contextFor(Activation act, double z0, int order) {
        double lost = 0;
        if (act == Activation.GELU_ERF) lost = z0 * z0 / Math.log(10);               // e^{x²} terms, erfc ~ e^{−x²}
        if (act == Activation.GELU_TANH) lost = 2 * Math.abs(2 * 0.8 * (z0 + 0.044715 * z0 * z0 * z0)) / Math.log(10);
        if (act == Activation.SILU) lost = Math.abs(z0) / Math.log(10);
        return new MathContext(80 + order + (int) Math.ceil(lost));
    }

    static BigDecimal[] coefficients(Activation act, double z0, int order) {
        MathContext mc = contextFor(act, z0, order);
        BigDecimal z = new BigDecimal(z0);  // exact binary value
        return switch (act) {
            case SILU -> silu(z, order, mc);
            case GELU_ERF -> geluErf(z, order, mc);
            case GELU_TANH -> geluTanh(z, order, mc);
        };
    }

    static BigDecimal[] silu(BigDecimal z0, int order, MathContext mc) {
        BigDecimal[] e = expMonomial(BigDecimal.ONE, 1, order, mc);
        BigDecimal ez = exp(z0, mc);
        for (int n = 0; n <= order; n++) e[n] = e[n].multiply(ez, mc);
        BigDecimal[] d = e.clone();
        d[0] = d[0].add(BigDecimal.ONE, mc);
        return timesLinear(z0, multiply(e, reciprocal(d, mc), mc), mc);
    }

    static BigDecimal[] geluErf(BigDecimal z0, int order, MathContext mc) {
        BigDecimal sqrt2 = BigDecimal.valueOf(2).sqrt(mc);
        BigDecimal cdf0 = BigDecimal.ONE.add(erf(z0.divide(sqrt2, mc), mc), mc).divide(BigDecimal.valueOf(2), mc);
        BigDecimal pdf0 = exp(z0.multiply(z0, mc).negate().divide(BigDecimal.valueOf(2), mc), mc)
                .divide(pi(mc).multiply(BigDecimal.valueOf(2), mc).sqrt(mc), mc);
        BigDecimal[] g = multiply(expMonomial(z0.negate(), 1, order, mc),
                expMonomial(new BigDecimal("-0.5"), 2, order, mc), mc);
        BigDecimal[] cdf = new BigDecimal[order + 1];
        cdf[0] = cdf0;
        for (int n = 1; n <= order; n++) cdf[n] = g[n - 1].multiply(pdf0, mc).divide(BigDecimal.valueOf(n), mc);
        return timesLinear(z0, cdf, mc);
    }

    static BigDecimal[] geluTanh(BigDecimal z0, int order, MathContext mc) {
        BigDecimal c = BigDecimal.valueOf(2).divide(pi(mc), mc).sqrt(mc);
        BigDecimal z2 = z0.multiply(z0, mc);
        BigDecimal two = BigDecimal.valueOf(2);
        // 2u(z0+t) = v0 + v1 t + v2 t² + v3 t³
        BigDecimal v0 = two.multiply(c, mc).multiply(z0.add(A.multiply(z2, mc).multiply(z0, mc), mc), mc);
        BigDecimal v1 = two.multiply(c, mc).multiply(BigDecimal.ONE.add(A.multiply(BigDecimal.valueOf(3), mc).multiply(z2, mc), mc), mc);
        BigDecimal v2 = two.multiply(c, mc).multiply(A.multiply(BigDecimal.valueOf(3), mc).multiply(z0, mc), mc);
        BigDecimal v3 = two.multiply(c, mc).multiply(A, mc);
        BigDecimal[] e = multiply(multiply(expMonomial(v1, 1, order, mc), expMonomial(v2, 2, order, mc), mc),
                expMonomial(v3, 3, order, mc), mc);
        BigDecimal ev0 = exp(v0, mc);
        for (int n = 0; n <= order; n++) e[n] = e[n].multiply(ev0, mc);
        BigDecimal[] num = e.clone(), den = e.clone();
        num[0] = num[0].subtract(BigDecimal.ONE, mc);
        den[0] = den[0].add(BigDecimal.ONE, mc);
        BigDecimal[] tanh = multiply(num, reciprocal(den, mc), mc);
        BigDecimal[] half = new BigDecimal[order + 1];
        for (int n = 0; n <= order; n++) {
            BigDecimal v = n == 0 ? BigDecimal.ONE.add(tanh[0], mc) : tanh[n];
            half[n] = v.divide(two, mc);
        }
        return timesLinear(z0, half, mc);
    }

    /** Coefficients of {@code exp(k·t^p)}: {@code k^j/j!} at {@code t^{pj}}. */
    static BigDecimal[] expMonomial(BigDecimal k, int p, int order, MathContext mc) {
        BigDecimal[] r = new BigDecimal[order + 1];
        java.util.Arrays.fill(r, BigDecimal.ZERO);
        BigDecimal term = BigDecimal.ONE;
        for (int j = 0; p * j <= order; j++) {
            if (j > 0) term = term.multiply(k, mc).divide(BigDecimal.valueOf(j), mc);
            r[p * j] = term;
        }
        return r;
    }

    static BigDecimal[] timesLinear(BigDecimal z0, BigDecimal[] s, MathContext mc) {
        BigDecimal[] r = new BigDecimal[s.length];
        for (int n = 0; n < s.length; n++) {
            BigDecimal v = z0.multiply(s[n], mc);
            r[n] = n == 0 ? v : v.add(s[n - 1], mc);
        }
        return r;
    }

    static BigDecimal[] multiply(BigDecimal[] a, BigDecimal[] b, MathContext mc) {
        BigDecimal[] r = new BigDecimal[a.length];
        for (int n = 0; n < a.length; n++) {
            BigDecimal s = BigDecimal.ZERO;
            for (int k = 0; k <= n; k++) s = s.add(a[k].multiply(b[n - k], mc), mc);
            r[n] = s;
        }
        return r;
    }

    static BigDecimal[] reciprocal(BigDecimal[] a, MathContext mc) {
        BigDecimal[] r = new BigDecimal[a.length];
        r[0] = BigDecimal.ONE.divide(a[0], mc);
        for (int n = 1; n < a.length; n++) {
            BigDecimal s = BigDecimal.ZERO;
            for (int k = 1; k <= n; k++) s = s.add(a[k].multiply(r[n - k], mc), mc);
            r[n] = s.negate().multiply(r[0], mc);
        }
        return r;
    }

    /** e^x: halve the argument m times, Taylor series, square m times (30 guard digits). */
    static BigDecimal exp(BigDecimal x, MathContext mc) {
        MathContext w = new MathContext(mc.getPrecision() + 30);
        int m = Math.max(0, x.abs().toBigInteger().bitLength() + 8);
        BigDecimal r = x.divide(new BigDecimal(BigInteger.TWO.pow(m)), w);
        BigDecimal eps = BigDecimal.ONE.movePointLeft(w.getPrecision() + 5);
        BigDecimal sum = BigDecimal.ONE, term = BigDecimal.ONE;
        for (int k = 1; term.abs().compareTo(eps) > 0; k++) {
            term = term.multiply(r, w).divide(BigDecimal.valueOf(k), w);
            sum = sum.add(term, w);
        }
        for (int i = 0; i < m; i++) sum = sum.multiply(sum, w);
        return sum.round(mc);
    }

    /** erf(x) = 2/√π Σ (−1)^k x^{2k+1}/(k!(2k+1)); the caller's precision must absorb the e^{x²}-sized terms. */
    static BigDecimal erf(BigDecimal x, MathContext mc) {
        BigDecimal x2 = x.multiply(x, mc);
        BigDecimal eps = BigDecimal.ONE.movePointLeft(mc.getPrecision() + 10);
        BigDecimal term = x, sum = x;
        for (int k = 1; ; k++) {
            term = term.multiply(x2, mc).negate().divide(BigDecimal.valueOf(k), mc);
            BigDecimal t = term.divide(BigDecimal.valueOf(2L * k + 1), mc);
            sum = sum.add(t, mc);
            if (k > x2.doubleValue() && t.abs().compareTo(eps) < 0) break;
        }
        return sum.multiply(BigDecimal.valueOf(2), mc).divide(pi(mc).sqrt(mc), mc);
    }

    /** π = 16 atan(1/5) − 4 atan(1/239). */
    static BigDecimal pi(MathContext mc) {
        MathContext w = new MathContext(mc.getPrecision() + 10);
        return atanInv(5, w).multiply(BigDecimal.valueOf(16), w)
                .subtract(atanInv(239, w).multiply(BigDecimal.valueOf(4), w), w).round(mc);
    }

    private static BigDecimal atanInv(int n, MathContext w) {
        BigDecimal x = BigDecimal.ONE.divide(BigDecimal.valueOf(n), w);
        BigDecimal x2 = x.multiply(x, w);
        BigDecimal eps = BigDecimal.ONE.movePointLeft(w.getPrecision() + 5);
        BigDecimal power = x, sum = x;
        for (int k = 1; power.compareTo(eps) > 0; k++) {
            power = power.multiply(x2, w);
            BigDecimal t = power.divide(BigDecimal.valueOf(2L * k + 1), w);
            sum = (k % 2 == 1) ? sum.subtract(t, w) : sum.add(t, w);
        }
        return sum;
    }

    /** Φ(x) to the given precision (digits adequate for the cancellation are added here). */
    static BigDecimal normalCdf(double x) {
        MathContext mc = new MathContext(60 + (int) Math.ceil(x * x / Math.log(10)));
        BigDecimal sqrt2 = BigDecimal.valueOf(2).sqrt(mc);
        return BigDecimal.ONE.add(erf(new BigDecimal(x).divide(sqrt2, mc), mc), mc).divide(BigDecimal.valueOf(2), mc);
    }

    static final MathContext REPORT = new MathContext(20, RoundingMode.HALF_EVEN);
}
