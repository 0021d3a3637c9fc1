package dev.mergelab.infer;

import java.util.Arrays;

/**
 * Keys (after RoPE) and values of every position seen so far, per layer, laid out
 * {@code [position][kvHeads * headDim]} and grown by doubling.
 */
final class KvCache {

    private final int width;
    private final float[][] keys;
    private final float[][] values;
    private int length;

    KvCache(int layers, int width) {
        this.width = width;
        this.keys = new float[layers][0];
        this.values = new float[layers][0];
    }

    int length() {
        return length;
    }

    /** Room for {@code more} positions after the current ones in every layer. */
    void reserve(int more) {
        int need = Math.multiplyExact(length + more, width);
        for (int l = 0; l < keys.length; l++) {
            if (keys[l].length < need) {
                int grown = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * keys[l].length));
                keys[l] = Arrays.copyOf(keys[l], grown);
                values[l] = Arrays.copyOf(values[l], grown);
            }
        }
    }

    /** Writes {@code n} positions' keys and values at the end of layer {@code l} (after {@link #reserve}). */
    void put(int layer, float[] k, float[] v, int n) {
        System.arraycopy(k, 0, keys[layer], length * width, n * width);
        System.arraycopy(v, 0, values[layer], length * width, n * width);
    }

    /** Marks {@code n} more positions as filled (once every layer has them). */
    void advance(int n) {
        length += n;
    }

    /** Forgets every position from {@code keep} on; the next {@link #put} writes over them. */
    void truncate(int keep) {
        if (keep < 0 || keep > length) {
            throw new IllegalArgumentException("cannot keep " + keep + " of " + length + " cached positions");
        }
        length = keep;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }
}
