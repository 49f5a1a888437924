package org.taylormlp.format.gguf;

import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * An immutable GGUF metadata array: a {@code List<Object>} that also remembers the GGUF element type, so that
 * metadata read from one file can be written to another without losing types (e.g. UINT32 vs INT64, which
 * llama.cpp distinguishes).
 *
 * <p>Elements follow {@link GgufFile}'s value convention: every integer type as {@link Long}, FLOAT32/FLOAT64 as
 * {@link Double}, BOOL as {@link Boolean}, STRING as {@link String}, nested arrays as {@code GgufArray}.
 * {@link #of} accepts any {@link Number} for numeric types and converts it, checking the integer range of the
 * element type (UINT64 takes any long: values above {@code Long.MAX_VALUE} are their two's-complement bits).
 */
public final class GgufArray extends AbstractList<Object> implements RandomAccess {
    private final GgufType elementType;
    private final Object[] values;

    private GgufArray(GgufType elementType, Object[] values) {
        this.elementType = elementType;
        this.values = values;
    }

    /** An array of {@code elementType} holding {@code values}, converted and range-checked. */
    public static GgufArray of(GgufType elementType, List<?> values) {
        Objects.requireNonNull(elementType, "elementType");
        Object[] out = new Object[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = normalize(elementType, values.get(i));
        return new GgufArray(elementType, out);
    }

    public static GgufArray ofStrings(List<String> values) { return of(GgufType.STRING, values); }

    public static GgufArray ofFloat32(float[] values) {
        Object[] out = new Object[values.length];
        for (int i = 0; i < out.length; i++) out[i] = (double) values[i];
        return new GgufArray(GgufType.FLOAT32, out);
    }

    public static GgufArray ofInt32(int[] values) {
        Object[] out = new Object[values.length];
        for (int i = 0; i < out.length; i++) out[i] = (long) values[i];
        return new GgufArray(GgufType.INT32, out);
    }

    /** For the reader: values already in the convention, array owned by the result. */
    static GgufArray trusted(GgufType elementType, Object[] values) {
        return new GgufArray(elementType, values);
    }

    public GgufType elementType() { return elementType; }

    @Override public Object get(int index) { return values[index]; }

    @Override public int size() { return values.length; }

    /**
     * Converts {@code v} to the value convention for {@code type}, or throws IllegalArgumentException if it does
     * not fit (wrong Java type, integer out of range, null).
     */
    static Object normalize(GgufType type, Object v) {
        if (v == null) throw new IllegalArgumentException("null " + type + " value");
        switch (type) {
            case BOOL -> {
                if (v instanceof Boolean b) return b;
            }
            case STRING -> {
                if (v instanceof String s) return s;
            }
            case FLOAT32, FLOAT64 -> {
                if (v instanceof Number n) return n.doubleValue();
            }
            case ARRAY -> {
                if (v instanceof GgufArray a) return a;
            }
            default -> { // integer types
                if (v instanceof Double || v instanceof Float || !(v instanceof Number n)) break;
                long x = n.longValue();
                long min, max;
                switch (type) {
                    case UINT8 -> { min = 0; max = 0xff; }
                    case INT8 -> { min = Byte.MIN_VALUE; max = Byte.MAX_VALUE; }
                    case UINT16 -> { min = 0; max = 0xffff; }
                    case INT16 -> { min = Short.MIN_VALUE; max = Short.MAX_VALUE; }
                    case UINT32 -> { min = 0; max = 0xffff_ffffL; }
                    case INT32 -> { min = Integer.MIN_VALUE; max = Integer.MAX_VALUE; }
                    default -> { min = Long.MIN_VALUE; max = Long.MAX_VALUE; } // UINT64 (raw bits), INT64
                }
                if (x < min || x > max) throw new IllegalArgumentException(x + " is out of range for " + type);
                return x;
            }
        }
        throw new IllegalArgumentException(v.getClass().getSimpleName() + " value " + v + " is not a valid " + type
                + (type == GgufType.ARRAY ? " (nested arrays must be GgufArray instances)" : ""));
    }
}
