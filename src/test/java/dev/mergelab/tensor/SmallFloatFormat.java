package dev.mergelab.tensor;

import java.util.Arrays;

/**
 * An independent model of a small binary float format, written from the format definitions only (no
 * code shared with {@link Codecs}): the exact value of every code, and round-to-nearest-even by search
 * over the sorted list of representable magnitudes. All values and midpoints involved are exact in
 * double, so the comparisons here are exact.
 */
final class SmallFloatFormat {

    static final SmallFloatFormat BF16 = new SmallFloatFormat(DType.BF16, 8, 7, Overflow.INFINITY, true);
    static final SmallFloatFormat F16 = new SmallFloatFormat(DType.F16, 5, 10, Overflow.INFINITY, true);
    static final SmallFloatFormat E4M3 = new SmallFloatFormat(DType.F8_E4M3, 4, 3, Overflow.NAN, false);
    static final SmallFloatFormat E5M2 = new SmallFloatFormat(DType.F8_E5M2, 5, 2, Overflow.INFINITY, true);

    enum Overflow { INFINITY, NAN }

    final DType dtype;
    final int ebits;
    final int mbits;
    final int bias;
    final Overflow overflow;
    /** IEEE-like: the top exponent is reserved for inf/NaN. E4M3FN instead only reserves S.1111.111. */
    final boolean ieee;
    final int bits;
    /** Non-negative finite codes 0..maxCode and their values (ascending: codes order like values). */
    final int maxCode;
    final double[] values;

    private SmallFloatFormat(DType dtype, int ebits, int mbits, Overflow overflow, boolean ieee) {
        this.dtype = dtype;
        this.ebits = ebits;
        this.mbits = mbits;
        this.bias = (1 << (ebits - 1)) - 1;
        this.overflow = overflow;
        this.ieee = ieee;
        this.bits = 1 + ebits + mbits;
        this.maxCode = ieee ? (((1 << ebits) - 1) << mbits) - 1 : (1 << (ebits + mbits)) - 2;
        this.values = new double[maxCode + 1];
        for (int c = 0; c <= maxCode; c++) {
            values[c] = magnitude(c);
        }
    }

    int signBit() {
        return 1 << (bits - 1);
    }

    /** Exact value of a non-negative finite code. */
    double magnitude(int code) {
        int e = code >>> mbits;
        int m = code & ((1 << mbits) - 1);
        if (e == 0) {
            return Math.scalb((double) m, 1 - bias - mbits);
        }
        return Math.scalb((double) ((1 << mbits) + m), e - bias - mbits);
    }

    boolean isNaN(int code) {
        int mag = code & (signBit() - 1);
        if (ieee) {
            return (mag >>> mbits) == (1 << ebits) - 1 && (mag & ((1 << mbits) - 1)) != 0;
        }
        return mag == (1 << (ebits + mbits)) - 1;
    }

    boolean isInfinite(int code) {
        int mag = code & (signBit() - 1);
        return ieee && mag == ((1 << ebits) - 1) << mbits;
    }

    /** The exact float value of a code (NaN for NaN codes). */
    double value(int code) {
        if (isNaN(code)) {
            return Double.NaN;
        }
        double sign = (code & signBit()) != 0 ? -1 : 1;
        if (isInfinite(code)) {
            return sign * Double.POSITIVE_INFINITY;
        }
        return sign * magnitude(code & (signBit() - 1));
    }

    /**
     * The code for a non-NaN float under round to nearest, ties to even. Past the largest finite value
     * sits a virtual next code ({@code maxCode + 1}, one ulp up); values that round to it overflow.
     */
    int encode(float f) {
        int sign = Float.floatToRawIntBits(f) < 0 ? signBit() : 0;
        double a = Math.abs((double) f);
        double ulpAtMax = values[maxCode] - values[maxCode - 1];
        double beyond = values[maxCode] + ulpAtMax;
        int code;
        if (a >= beyond) {
            code = maxCode + 1;
        } else {
            int idx = Arrays.binarySearch(values, a);
            if (idx >= 0) {
                code = idx;
            } else {
                int hi = -idx - 1; // first value above a (maxCode + 1 means the virtual one)
                int lo = hi - 1;
                double vhi = hi <= maxCode ? values[hi] : beyond;
                double dlo = a - values[lo];
                double dhi = vhi - a;
                code = dlo < dhi ? lo : dhi < dlo ? hi : ((lo & 1) == 0 ? lo : hi);
            }
        }
        if (code > maxCode) {
            int special = overflow == Overflow.INFINITY ? ((1 << ebits) - 1) << mbits : (1 << (ebits + mbits)) - 1;
            return sign | special;
        }
        return sign | code;
    }
}
