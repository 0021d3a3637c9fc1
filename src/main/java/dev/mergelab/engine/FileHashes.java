package dev.mergelab.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** SHA-256 of input files for the model card, reusing the Hugging Face cache's blob names when they are one. */
public final class FileHashes {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    private static final int CHUNK = 4 << 20;

    private FileHashes() {
    }

    /** SHA-256 of {@code file}'s content, always read in full (for verifying). */
    public static String sha256(Path file) {
        return sha256(file, false);
    }

    /**
     * SHA-256 of an input file, from the {@link HashCache} when the file is unchanged since it was last
     * hashed. Never use this to verify content: a cache hit trusts size, time and inode.
     */
    public static String sha256Cached(Path file) {
        return sha256(file, true);
    }

    private static String sha256(Path file, boolean useCache) {
        try {
            // In the HF cache a snapshot file links to blobs/<sha256 of the content> for LFS files.
            if (Files.isSymbolicLink(file)) {
                Path real = file.toRealPath();
                String name = real.getFileName().toString();
                if (SHA256_HEX.matcher(name).matches() && real.getParent() != null
                        && real.getParent().getFileName().toString().equals("blobs")) {
                    return name;
                }
            }
            String cached = useCache ? HashCache.lookup(file) : null;
            if (cached != null) {
                return cached;
            }
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            // Plain reads into a heap array, not a mapping (mapped pages would count in our resident set for the
            // whole file), and byte[] updates, which take the JIT's SHA-256 intrinsic.
            byte[] chunk = new byte[CHUNK];
            ByteBuffer buf = ByteBuffer.wrap(chunk);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                int n;
                while ((n = ch.read(buf.clear())) > 0) {
                    md.update(chunk, 0, n);
                }
            }
            String hex = HexFormat.of().formatHex(md.digest());
            if (useCache) {
                HashCache.store(file, hex);
            }
            return hex;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
