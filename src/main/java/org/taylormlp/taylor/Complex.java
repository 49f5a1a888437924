package org.taylormlp.taylor;

/** Minimal immutable complex number for the singularity search and the Cauchy-estimate sampling. */
public record Complex(double re, double im) {

    public static final Complex ZERO = new Complex(0, 0);
    public static final Complex ONE = new Complex(1, 0);

    public static Complex of(double re, double im) {
        return new Complex(re, im);
    }

    /** {@code r·e^{iθ}}. */
    public static Complex polar(double r, double theta) {
        return new Complex(r * Math.cos(theta), r * Math.sin(theta));
    }

    public Complex add(Complex o) {
        return new Complex(re + o.re, im + o.im);
    }

    public Complex add(double x) {
        return new Complex(re + x, im);
    }

    public Complex subtract(Complex o) {
        return new Complex(re - o.re, im - o.im);
    }

    public Complex multiply(Complex o) {
        return new Complex(re * o.re - im * o.im, re * o.im + im * o.re);
    }

    public Complex multiply(double x) {
        return new Complex(re * x, im * x);
    }

    /** Smith's algorithm (avoids spurious overflow). */
    public Complex divide(Complex o) {
        if (Math.abs(o.re) >= Math.abs(o.im)) {
            double r = o.im / o.re, den = o.re + o.im * r;
            return new Complex((re + im * r) / den, (im - re * r) / den);
        }
        double r = o.re / o.im, den = o.re * r + o.im;
        return new Complex((re * r + im) / den, (im * r - re) / den);
    }

    public Complex negate() {
        return new Complex(-re, -im);
    }

    public double abs() {
        return Math.hypot(re, im);
    }

    public double arg() {
        return Math.atan2(im, re);
    }

    public Complex exp() {
        double m = Math.exp(re);
        return new Complex(m * Math.cos(im), m * Math.sin(im));
    }

    /** Principal square root. */
    public Complex sqrt() {
        return polar(Math.sqrt(abs()), arg() / 2);
    }

    /** Principal cube root. */
    public Complex cbrt() {
        return polar(Math.cbrt(abs()), arg() / 3);
    }

    @Override
    public String toString() {
        return re + (im < 0 || (im == 0 && 1 / im < 0) ? " - " : " + ") + Math.abs(im) + "i";
    }
}
