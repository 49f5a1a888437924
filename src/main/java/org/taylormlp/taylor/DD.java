package org.taylormlp.taylor;

/**
 * Minimal double-double number hi + lo (|lo| ≤ ulp(hi)/2), ~106-bit significand. Used only where a single
 * rounding is amplified: the argument of an exponential ({@code e^{w}} has relative error ≈ |w|·δw, so a value
 * w ≈ 50 computed in plain double costs two digits) and decimal constants such as 0.044715 and √(2/π).
 */
record DD(double hi, double lo) {

    static DD of(double x) {
        return new DD(x, 0.0);
    }

    static DD twoSum(double a, double b) {
        double s = a + b;
        double z = s - a;
        return new DD(s, (a - (s - z)) + (b - z));
    }

    static DD twoProd(double a, double b) {
        double p = a * b;
        return new DD(p, Math.fma(a, b, -p));
    }

    private static DD fastTwoSum(double a, double b) {
        double s = a + b;
        return new DD(s, b - (s - a));
    }

    DD add(DD o) {
        DD s = twoSum(hi, o.hi);
        return fastTwoSum(s.hi, s.lo + lo + o.lo);
    }

    DD add(double o) {
        return add(of(o));
    }

    DD mul(DD o) {
        DD p = twoProd(hi, o.hi);
        return fastTwoSum(p.hi, p.lo + (hi * o.lo + lo * o.hi));
    }

    DD mul(double o) {
        return mul(of(o));
    }

    DD negate() {
        return new DD(-hi, -lo);
    }

    double value() {
        return hi + lo;
    }
}
