package dev.mergelab.model;

import dev.mergelab.MergeLabException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Resolves file names that come from untrusted data (index weight maps, tokenizer lists, recipes)
 * against a folder without letting them escape it.
 *
 * <p>Names are checked lexically first (no absolute paths, no {@code ..}, no empty or {@code .}
 * components, no NUL, no backslashes), then the real location is checked, because a symbolic link
 * inside the folder could point anywhere. Links are followed only when their target stays inside the
 * folder, or when the folder is a Hugging Face cache snapshot ({@code .../models--X/snapshots/<hash>})
 * and the target lies in that same repository's {@code .../models--X/blobs/}: that is how the cache
 * stores every file, and the one place outside the folder we trust.
 *
 * <p>The check cannot stop a file from being swapped after it returns; it guards against hostile
 * content, not against a hostile process on the same machine.
 */
public final class SafePaths {

    private SafePaths() {
    }

    /**
     * Returns {@code folder/relativeName} after checking that the name is a plain relative name and
     * that, where it exists, it really lies inside the folder (or in the snapshot's blob store).
     * A name that does not exist yet is allowed as long as its nearest existing parent is inside.
     *
     * @throws MergeLabException when the name or its real location is unsafe
     */
    public static Path resolveInside(Path folder, String relativeName) {
        checkName(folder, relativeName);
        Path base = folder.toAbsolutePath().normalize();
        Path candidate = base.resolve(relativeName).normalize();
        if (!candidate.startsWith(base) || candidate.equals(base)) {
            throw unsafe(folder, relativeName, "it leaves the folder");
        }
        // Only what exists can be a link; a missing tail is checked through its nearest existing parent.
        Path existing = candidate;
        while (!existing.equals(base) && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing.equals(base)) {
            return candidate;
        }
        Path realBase = realPath(folder, base);
        if (Files.isSymbolicLink(existing) && !Files.exists(existing)) {
            throw unsafe(folder, relativeName, "it is a broken symbolic link");
        }
        Path real = realPath(folder, existing);
        if (!real.startsWith(realBase) && !inSnapshotBlobs(realBase, real)) {
            throw unsafe(folder, relativeName, "a symbolic link points outside the folder, to " + real);
        }
        return candidate;
    }

    /** True when {@link #resolveInside} would accept the name; never throws for unsafe names. */
    public static boolean isSafe(Path folder, String relativeName) {
        try {
            resolveInside(folder, relativeName);
            return true;
        } catch (MergeLabException e) {
            return false;
        }
    }

    private static void checkName(Path folder, String name) {
        if (name == null || name.isEmpty()) {
            throw unsafe(folder, "", "the name is empty");
        }
        if (name.indexOf('\0') >= 0) {
            throw unsafe(folder, name.replace('\0', '?'), "it contains a NUL character");
        }
        if (name.indexOf('\\') >= 0) {
            throw unsafe(folder, name, "it contains a backslash (use '/' between folders)");
        }
        if (name.startsWith("/") || (name.length() > 1 && name.charAt(1) == ':')) {
            throw unsafe(folder, name, "it is an absolute path");
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                throw unsafe(folder, name, "it has an empty, '.' or '..' component");
            }
        }
    }

    /**
     * The Hugging Face cache keeps {@code models--X/snapshots/<hash>/file} as a link to
     * {@code models--X/blobs/<sha>}. Accept exactly that: same repository, blobs folder. The folder may
     * be the snapshot or a subfolder of it (repositories that keep a model under a subfolder).
     */
    private static boolean inSnapshotBlobs(Path realBase, Path real) {
        for (Path snapshot = realBase; snapshot.getParent() != null; snapshot = snapshot.getParent()) {
            Path snapshots = snapshot.getParent();
            Path repo = snapshots.getParent();
            if (repo == null || repo.getFileName() == null || snapshots.getFileName() == null) {
                return false;
            }
            if (snapshots.getFileName().toString().equals("snapshots")
                    && isRepoFolderName(repo.getFileName().toString())) {
                Path blobs = repo.resolve("blobs");
                return real.startsWith(blobs) && !real.equals(blobs);
            }
        }
        return false;
    }

    private static boolean isRepoFolderName(String name) {
        return name.startsWith("models--") || name.startsWith("datasets--") || name.startsWith("spaces--");
    }

    private static Path realPath(Path folder, Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw MergeLabException.input("cannot resolve " + p + " inside " + folder + ": " + e.getMessage(),
                    "check that the model folder is readable");
        }
    }

    private static MergeLabException unsafe(Path folder, String name, String why) {
        return MergeLabException.input("refusing file name '" + name + "' in " + folder + ": " + why,
                "a model folder may only refer to files inside itself");
    }
}
