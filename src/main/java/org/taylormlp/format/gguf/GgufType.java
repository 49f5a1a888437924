package org.taylormlp.format.gguf;

/**
 * GGUF metadata value types, with the numeric ids written in files (GGUF spec, {@code gguf_metadata_value_type}).
 * {@link #size()} is the fixed encoded size in bytes, or -1 for the variable-length {@link #STRING} and {@link #ARRAY}.
 */
public enum GgufType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The type id stored in the file. */
    public int id() { return id; }

    /** Encoded size in bytes of one value, or -1 for STRING and ARRAY. */
    public int size() { return size; }

    /**
     * The smallest number of bytes one value of this type can occupy in a file: used to bound element counts
     * against the bytes left before anything is allocated. A string is at least its 8-byte length; an array at
     * least its 4-byte element type and 8-byte count.
     */
    int minEncodedSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    /** True for the integer types (BOOL excluded). */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type with file id {@code id}, or null if there is none. */
    public static GgufType fromId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }
}
