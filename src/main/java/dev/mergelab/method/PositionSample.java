package dev.mergelab.method;

import dev.mergelab.method.kernel.MethodKernels;
import dev.mergelab.method.kernel.PositionRandom;
import dev.mergelab.method.kernel.RadixSelect;
import dev.mergelab.method.kernel.MagnitudeCut;

import java.util.Arrays;

/**
 * A uniform sample of k of n positions without replacement: the k positions whose position-keyed random
 * key ({@link #key}, 30 bits) is largest, equal keys taken in index order. It depends only on the stream
 * key and n, not on any data, so it is drawn once per tensor and kept as a sorted list of positions
 * (8 bytes per sampled position, about 8 MB for 10^6), which the passes that need it walk instead of
 * recomputing every position's key.
 *
 * <p>Drawing it does not sort or histogram all n keys: since the keys are uniform, only positions with a
 * key at or above a bound whose expected count is k plus a wide margin (8σ) can be among the k largest.
 * Those candidates are kept, in index order, and an exact radix selection among them gives the same k
 * positions as one over all n keys. Should the candidates fall short of k (about 1e-15 likely), the
 * bound is lowered and the candidates drawn again.
 */
final class PositionSample {

    private static final int KEY_BITS = 30;

    private PositionSample() {
    }

    /** The sample key of a position: the top 30 bits of its 32-bit word, a finite float's bits so magnitude cuts apply. */
    static int key(long randomKey, long position) {
        return PositionRandom.word(randomKey, position) >>> (32 - KEY_BITS);
    }

    /** Heap held by a sample of k: its candidates (which become the sample in place) and, while selecting, their keys. */
    static long bytes(int k) {
        return 12L * capacity(k);
    }

    /** Room for k plus 16σ, so the candidates practically never outgrow it. */
    private static int capacity(int k) {
        return (int) (k + 16 * Math.sqrt(k) + 1024);
    }

    /** The sampled positions in ascending order, for 0 &lt; k &lt; n: {@code [0, k)} of the returned array (which may be longer). */
    static long[] draw(long randomKey, long n, int k) {
        // Keys at or above 2^30 − window are candidates, about k + 8σ of them.
        return draw(randomKey, n, k, (long) Math.ceil((k + 8 * Math.sqrt(k) + 64) / n * (1L << KEY_BITS)));
    }

    /** {@link #draw(long, long, int)} starting from a given candidate window (tests force the retry with it). */
    static long[] draw(long randomKey, long n, int k, long window) {
        if (k <= 0 || k >= n) {
            throw new IllegalArgumentException("a sample of " + k + " of " + n + " positions");
        }
        window = Math.max(1, Math.min(1L << KEY_BITS, window));
        while (true) {
            Candidates c = new Candidates(randomKey, (int) Math.min(n, capacity(k)));
            c.collect(n, (int) ((1L << KEY_BITS) - window));
            if (c.count >= k) {
                c.keepLargest(k);
                return c.positions;
            }
            window = Math.min(1L << KEY_BITS, window * 2); // a bound of 0 takes every position
        }
    }

    /** Positions in ascending order, found in blocks; their keys are computed again once they are known. */
    private static final class Candidates {
        private static final int BLOCK = 1 << 15;

        final long randomKey;
        long[] positions;
        int count;

        Candidates(long randomKey, int capacity) {
            this.randomKey = randomKey;
            this.positions = new long[capacity];
        }

        /** Every position of [0, n) whose key is at least {@code bound}. */
        void collect(long n, int bound) {
            int[] offsets = new int[BLOCK];
            for (long start = 0; start < n; start += BLOCK) {
                int hits = MethodKernels.positionKeysAtOrAbove(randomKey, start, (int) Math.min(BLOCK, n - start), bound, offsets);
                for (int i = 0; i < hits; i++) {
                    if (count == positions.length) {
                        positions = Arrays.copyOf(positions, Math.toIntExact(Math.min(Integer.MAX_VALUE - 16, 2L * count)));
                    }
                    positions[count++] = start + offsets[i];
                }
            }
        }

        /** Keeps, in place and in order, the k candidates of largest key (equal keys in index order). */
        void keepLargest(int k) {
            int[] keys = new int[count];
            for (int i = 0; i < count; i++) {
                keys[i] = key(randomKey, positions[i]);
            }
            RadixSelect select = new RadixSelect();
            select.countHigh(keys, count);
            select.resolve(k);
            select.countLow(keys, count);
            MagnitudeCut.Cursor cursor = select.cut(0).cursor();
            int m = 0;
            for (int i = 0; i < count; i++) {
                if (cursor.keeps(Float.intBitsToFloat(keys[i]))) {
                    positions[m++] = positions[i];
                }
            }
            count = m;
        }
    }
}
