package dev.mergelab.format.gguf;

/**
 * Float32 to and from the stored bytes of a ggml type, block by block, bit-identical to ggml's reference
 * code: {@link #decode} as dequantize_row_* (and ggml's fp16/bf16 conversions), {@link #encode} as the
 * quantizers llama-quantize runs without an importance matrix (quantize_row_*_ref; ggml_fp32_to_fp16_row and
 * ggml_fp32_to_bf16_row_ref for F16/BF16). Scalar code; the proof is GgmlCodecReferenceTest against
 * fixtures written by scripts/gguf-ref/ from ggml's own sources.
 */
public final class GgmlCodec {

    private GgmlCodec() {
    }

    /**
     * Decodes {@code n} elements (a whole number of blocks of {@code type}) from {@code src[so..]} into
     * {@code dst[o..o+n)}.
     */
    public static void decode(GgmlType type, byte[] src, int so, float[] dst, int o, int n) {
        int blocks = blocks(type, n);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    dst[o + i] = Float.intBitsToFloat(LegacyQuants.u32(src, so + 4 * i));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[o + i] = Half.f16(src, so + 2 * i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[o + i] = Half.bf16ToFloat(Half.u16(src, so + 2 * i));
                }
            }
            case Q4_0 -> LegacyQuants.decodeQ4_0(src, so, dst, o, blocks);
            case Q4_1 -> LegacyQuants.decodeQ4_1(src, so, dst, o, blocks);
            case Q5_0 -> LegacyQuants.decodeQ5_0(src, so, dst, o, blocks);
            case Q5_1 -> LegacyQuants.decodeQ5_1(src, so, dst, o, blocks);
            case Q8_0 -> LegacyQuants.decodeQ8_0(src, so, dst, o, blocks);
            case Q2_K -> KQuantDecode.q2K(src, so, dst, o, blocks);
            case Q3_K -> KQuantDecode.q3K(src, so, dst, o, blocks);
            case Q4_K -> KQuantDecode.q4K(src, so, dst, o, blocks);
            case Q5_K -> KQuantDecode.q5K(src, so, dst, o, blocks);
            case Q6_K -> KQuantDecode.q6K(src, so, dst, o, blocks);
            default -> throw new IllegalArgumentException("no decoder for ggml type " + type);
        }
    }

    /**
     * Encodes {@code n} floats (a whole number of blocks of {@code type}) from {@code x[xo..]} into
     * {@code y[yo..yo + type.rowBytes(n))}.
     */
    public static void encode(GgmlType type, float[] x, int xo, byte[] y, int yo, int n) {
        int blocks = blocks(type, n);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    LegacyQuants.putU32(y, yo + 4 * i, Float.floatToRawIntBits(x[xo + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    Half.putU16(y, yo + 2 * i, Half.fromFloat(x[xo + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    Half.putU16(y, yo + 2 * i, Half.floatToBf16(x[xo + i]));
                }
            }
            case Q4_0 -> LegacyQuants.encodeQ4_0(x, xo, y, yo, blocks);
            case Q4_1 -> LegacyQuants.encodeQ4_1(x, xo, y, yo, blocks);
            case Q5_0 -> LegacyQuants.encodeQ5_0(x, xo, y, yo, blocks);
            case Q5_1 -> LegacyQuants.encodeQ5_1(x, xo, y, yo, blocks);
            case Q8_0 -> LegacyQuants.encodeQ8_0(x, xo, y, yo, blocks);
            case Q2_K -> KQuantEncode.q2K(x, xo, y, yo, blocks);
            case Q3_K -> KQuantEncode.q3K(x, xo, y, yo, blocks);
            case Q4_K -> KQuantEncode.q4K(x, xo, y, yo, blocks);
            case Q5_K -> KQuantEncode.q5K(x, xo, y, yo, blocks);
            case Q6_K -> KQuantEncode.q6K(x, xo, y, yo, blocks);
            default -> throw new IllegalArgumentException("no encoder for ggml type " + type);
        }
    }

    /**
     * Encodes one row of {@code n} floats from {@code x[xo..]} into {@code y[yo..yo + type.rowBytes(n))} as
     * ggml_quantize_chunk does with an importance matrix row {@code qw[qo..qo+n)}: the weighted quantizers of
     * ggml-quants.c for Q4_0, Q4_1, Q5_0, Q5_1 and Q2_K..Q6_K; F32, F16, BF16 and Q8_0 ignore the weights, as
     * ggml does. With {@code qw == null} this is {@link #encode}.
     */
    public static void encodeRow(GgmlType type, float[] x, int xo, byte[] y, int yo, int n, float[] qw, int qo) {
        if (qw == null) {
            encode(type, x, xo, y, yo, n);
            return;
        }
        blocks(type, n);
        if (qo < 0 || qo > qw.length - n) {
            throw new IllegalArgumentException("importance row [" + qo + ", +" + n + ") outside " + qw.length + " weights");
        }
        switch (type) {
            case Q4_0 -> WeightedQuants.q4_0(x, xo, y, yo, n, qw, qo);
            case Q4_1 -> WeightedQuants.q4_1(x, xo, y, yo, n, qw, qo);
            case Q5_0 -> WeightedQuants.q5_0(x, xo, y, yo, n, qw, qo);
            case Q5_1 -> WeightedQuants.q5_1(x, xo, y, yo, n, qw, qo);
            case Q2_K -> WeightedQuants.q2K(x, xo, y, yo, n, qw, qo);
            case Q3_K -> WeightedQuants.q3K(x, xo, y, yo, n, qw, qo);
            case Q4_K -> WeightedQuants.q4K(x, xo, y, yo, n, qw, qo);
            case Q5_K -> WeightedQuants.q5K(x, xo, y, yo, n, qw, qo);
            case Q6_K -> WeightedQuants.q6K(x, xo, y, yo, n, qw, qo);
            default -> encode(type, x, xo, y, yo, n);
        }
    }

    private static int blocks(GgmlType type, int n) {
        if (n < 0 || n % type.blockSize != 0) {
            throw new IllegalArgumentException(n + " elements is not a whole number of " + type + " blocks");
        }
        return n / type.blockSize;
    }
}
