package dev.mergelab.method.kernel;

import dev.mergelab.tensor.FloatKernels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Counter-based randomness: every draw is a pure function of (recipe seed, tensor name, input index,
 * element position), so masks do not depend on chunk size, chunk order, thread count or scheduling.
 * Upstream draws from torch's global generator, whose masks depend on call order and cannot be
 * reproduced anyway (METHODS.md §1 Randomness); the golden random cases check statistics only.
 *
 * <p>The per-(seed, tensor, input) key is a SHA-256 digest, which spreads near-identical keys
 * (layer.0 / layer.1) over unrelated streams. The stream is SplitMix64 started at that key, a
 * well-tested generator whose j-th output (the Weyl step {@code key + (j+1)·γ} through its finaliser)
 * can be computed without the previous ones. Each position's draw is 32 bits ({@link #word}), two per
 * 64-bit output, which halves the hashing of keep masks and sample keys.
 */
public final class PositionRandom {

    private PositionRandom() {
    }

    /** The stream key of input {@code inputIndex} of tensor {@code tensorName} under {@code seed}. */
    public static long key(long seed, String tensorName, int inputIndex) {
        byte[] name = tensorName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + 4 + name.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        // Length-prefix the name so (name, index) pairs can never collide by concatenation.
        buf.putLong(seed).putInt(name.length).put(name).putInt(inputIndex);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(buf.array());
            return ByteBuffer.wrap(digest).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /**
     * The 32 random bits of element {@code position} of stream {@code key} in the two-per-output form:
     * half {@code position & 1} of output {@code position >>> 1}.
     */
    public static int word(long key, long position) {
        return FloatKernels.splitMix32(key, position);
    }

    /** {@code out[i] = word(key, start + i)} for i &lt; n, vectorised where the kernels are. */
    public static void words(long key, long start, int[] out, int n) {
        FloatKernels.splitMix32(key, start, out, 0, n);
    }

    /** The uniform in [0, 1) of a 32-bit word: {@code word·2^-32}, the word read unsigned. */
    public static double uniform32(int word) {
        return (word & 0xFFFFFFFFL) * 0x1p-32;
    }

    /**
     * The unsigned 32-bit threshold t with {@code uniform32(w) < p  ⇔  w < t} (unsigned):
     * {@code ⌈p·2^32⌉}, except that it saturates at 2^32 − 1, so a p within 2^-32 of 1 (or above)
     * still drops the single word 2^32 − 1. Probabilities are resolved to 2^-32.
     */
    public static int threshold32(double p) {
        if (!(p > 0)) {
            return 0;
        }
        return (int) Math.min((long) Math.ceil(Math.min(p, 1) * 0x1p32), 0xFFFFFFFFL);
    }
}
