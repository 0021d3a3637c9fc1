package dev.mergelab.format;

import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/** What every mapped weight file (safetensors, GGUF, PyTorch) does when reading its mapping faults. */
public final class MappedFiles {

    private MappedFiles() {
    }

    /**
     * Throws a one-line INPUT error naming {@code path} if it is no longer the file that was mapped: another size
     * (truncated or grown), another modification time (rewritten in place) or another file (replaced).
     * {@code fault} is what reading the mapping threw, if anything (kept as the cause); when the file is unchanged
     * this returns normally and the caller rethrows its fault.
     *
     * @param mappedBytes the size of the mapping, the file's size when it was opened
     * @param opened      the file's attributes when it was opened
     */
    public static void checkUnchanged(Path path, long mappedBytes, BasicFileAttributes opened, Throwable fault) {
        String what;
        try {
            BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class);
            if (now.size() < mappedBytes) {
                what = "was truncated to " + now.size() + " of its " + mappedBytes + " bytes";
            } else if (now.size() != mappedBytes || !now.lastModifiedTime().equals(opened.lastModifiedTime())
                    || !Objects.equals(now.fileKey(), opened.fileKey())) {
                what = "was changed";
            } else {
                return;
            }
        } catch (IOException e) {
            what = "disappeared or became unreadable (" + Untrusted.firstLine(e.getMessage()) + ")";
        }
        throw new MergeLabException(MergeLabException.Kind.INPUT, Untrusted.path(path) + ": input file " + what
                + " while MergeLab was reading it", "do not modify or re-download models during a merge; rerun when it is complete",
                fault);
    }
}
