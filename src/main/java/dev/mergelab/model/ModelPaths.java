package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.ShardIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a file named by an untrusted index or config inside a model folder. The name must be a plain
 * file name; if it is a symbolic link, its target must stay inside the folder or, in the Hugging Face
 * cache layout ({@code models--X/snapshots/REV/name -> ../../blobs/SHA}), inside the same repository's
 * {@code blobs} folder. Anything else is refused.
 */
public final class ModelPaths {

    private ModelPaths() {
    }

    public static Path inside(Path folder, String name, String what) {
        ShardIndex.checkPlainFileName(name, what + " '" + name + "'");
        Path p = folder.resolve(name);
        if (!Files.isSymbolicLink(p)) {
            return p;
        }
        try {
            Path real = p.toRealPath();
            Path realFolder = folder.toRealPath();
            if (real.startsWith(realFolder)) {
                return p;
            }
            // HF cache: .../models--ORG--NAME/snapshots/<rev>/<file> -> .../models--ORG--NAME/blobs/<sha>
            Path snapshots = realFolder.getParent();
            if (snapshots != null && snapshots.getFileName() != null && snapshots.getFileName().toString().equals("snapshots")) {
                Path repo = snapshots.getParent();
                if (repo != null && real.startsWith(repo.resolve("blobs"))) {
                    return p;
                }
            }
        } catch (IOException e) {
            throw MergeLabException.input(p + ": broken link (" + e.getMessage() + ")", "re-download the model");
        }
        throw MergeLabException.input(p + ": symbolic link points outside the model folder",
                "refusing to follow it; copy the real file into the folder if you trust it");
    }
}
