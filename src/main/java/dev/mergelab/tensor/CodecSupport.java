package dev.mergelab.tensor;

import java.lang.foreign.MemorySegment;

/**
 * The conversions worth a SIMD implementation, behind one interface so that a scalar reference and a
 * Vector API implementation can be swapped at start-up (see {@link Vectorization}). Every
 * implementation must produce exactly the bits of the scalar reference for every input, NaN payloads
 * included (the rules are on {@link Codecs}).
 *
 * <p>Indices {@code from}/{@code to} count 2-byte elements of the segment; the caller has already
 * checked bounds. Segments are little-endian and may have any alignment.
 */
public interface CodecSupport {

    /** A short name for logs and benchmark tables, e.g. {@code scalar} or {@code vector-256}. */
    String name();

    void decodeBf16(MemorySegment src, long from, float[] dst, int dstOff, int count);

    void encodeBf16(float[] src, int srcOff, int count, MemorySegment dst, long to);

    void decodeF16(MemorySegment src, long from, float[] dst, int dstOff, int count);

    void encodeF16(float[] src, int srcOff, int count, MemorySegment dst, long to);
}
