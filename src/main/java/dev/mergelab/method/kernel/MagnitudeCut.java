package dev.mergelab.method.kernel;

/**
 * A magnitude threshold with a tie quota: keep every element whose magnitude key is above {@code key},
 * plus the first {@code ties} elements (in index order) whose key equals it. Produced by
 * {@link RadixSelect#cut}; applying it keeps exactly k elements, the k largest by
 * (magnitude descending, index ascending).
 *
 * @param key  the magnitude key of the k-th largest element (see {@link dev.mergelab.tensor.FloatKernels#magnitudeKey})
 * @param ties how many elements with exactly that key are kept
 */
public record MagnitudeCut(int key, int ties) {

    /** Keeps nothing (k = 0): no key exceeds the largest NaN key and no tie is kept. */
    public static final MagnitudeCut NONE = new MagnitudeCut(0x7FFFFFFF, 0);

    /** The threshold as a float magnitude (NaN for {@link #NONE} or when NaNs are among the kept). */
    public float threshold() {
        return Float.intBitsToFloat(key);
    }

    /**
     * A fresh cursor for one pass over the tensor. The tie quota is consumed in index order, so feed the
     * chunks of one tensor in order, starting from its first element.
     */
    public Cursor cursor() {
        return new Cursor(key, ties);
    }

    /** Applies the cut to consecutive chunks of one tensor. Not thread-safe; one per pass. */
    public static final class Cursor {
        private final int key;
        private int tiesLeft;

        private Cursor(int key, int ties) {
            this.key = key;
            this.tiesLeft = ties;
        }

        /** Sets dropped elements of {@code x[off .. off+n)} to +0 and returns how many were kept. */
        public int zeroDropped(float[] x, int off, int n) {
            int kept = 0;
            for (int i = off; i < off + n; i++) {
                if (keeps(x[i])) {
                    kept++;
                } else {
                    x[i] = 0f;
                }
            }
            return kept;
        }

        /** Writes {@code keep[keepOff+i]} for each element of {@code x[off .. off+n)}; returns how many were kept. */
        public int mask(float[] x, int off, int n, boolean[] keep, int keepOff) {
            int kept = 0;
            for (int i = 0; i < n; i++) {
                boolean k = keeps(x[off + i]);
                keep[keepOff + i] = k;
                kept += k ? 1 : 0;
            }
            return kept;
        }

        /** Decides the next element in index order. */
        public boolean keeps(float v) {
            int k = Float.floatToRawIntBits(v) & 0x7FFFFFFF;
            if (k > key) {
                return true;
            }
            if (k == key && tiesLeft > 0) {
                tiesLeft--;
                return true;
            }
            return false;
        }
    }
}
