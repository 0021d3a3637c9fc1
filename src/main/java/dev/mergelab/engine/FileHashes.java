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

    public static String sha256(Path file) {
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
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            // Plain reads, not a mapping: mapped pages would count in our resident set for the whole file.
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                while (ch.read(buf.clear()) > 0) {
                    md.update(buf.flip());
                }
            }
            return HexFormat.of().formatHex(md.digest());
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
