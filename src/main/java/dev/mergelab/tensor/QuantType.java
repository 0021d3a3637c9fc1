package dev.mergelab.tensor;

/**
 * The ggml block-quantized weight types the matrix kernels read in place ({@link QuantMatrix}): a row of
 * {@code cols} elements is {@code cols / blockSize} blocks of {@code blockBytes} bytes, laid out as ggml's
 * {@code block_q8_0}, {@code block_q4_0}, {@code block_q4_K} and {@code block_q6_K} (ggml-common.h). The names
 * are ggml's, so a format-layer type maps here by name ({@link #ofGgmlName}).
 */
public enum QuantType {
    /** d (f16), then 32 int8 quants: x = q·d. */
    Q8_0(32, 34),
    /** d (f16), then 16 bytes of two 4-bit quants (low nibbles are elements 0..15): x = (q − 8)·d. */
    Q4_0(32, 18),
    /** d, dmin (f16), 12 bytes of eight 6-bit scale/min pairs, 128 bytes of 4-bit quants: x = d·sc·q − dmin·m. */
    Q4_K(256, 144),
    /** 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 int8 scales, d (f16): x = d·sc·(q − 32). */
    Q6_K(256, 210);

    /** Elements per block. */
    public final int blockSize;
    /** Bytes per block. */
    public final int blockBytes;

    QuantType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Bytes of a row of {@code cols} elements (a whole number of blocks). */
    public long rowBytes(int cols) {
        return (long) cols / blockSize * blockBytes;
    }

    /** The type ggml names {@code name} ({@code Q4_K}, {@code q8_0}), or null when the kernels do not read it. */
    public static QuantType ofGgmlName(String name) {
        for (QuantType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }
}
