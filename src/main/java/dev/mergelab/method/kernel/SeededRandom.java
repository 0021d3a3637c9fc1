package dev.mergelab.method.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * Per-(seed, tensor, model) random streams. Upstream draws from torch's global generator, so its masks
 * depend on call order; ours are a function of the key alone, which makes outputs independent of thread
 * count and scheduling. SHA-256 spreads near-identical keys (layer.0 / layer.1) over unrelated seeds.
 */
public final class SeededRandom {

    private SeededRandom() {
    }

    public static SplittableRandom of(long seed, String tensorName, int modelIndex) {
        byte[] name = tensorName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer key = ByteBuffer.allocate(8 + 4 + name.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        // Length-prefix the name so (name, index) pairs can never collide by concatenation.
        key.putLong(seed).putInt(name.length).put(name).putInt(modelIndex);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.array());
            return new SplittableRandom(ByteBuffer.wrap(digest).order(ByteOrder.LITTLE_ENDIAN).getLong());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
