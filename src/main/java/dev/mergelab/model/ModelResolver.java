package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.WeightFiles;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a {@link ModelRef} into paths on this machine: a local path as given, a hub id through the
 * offline {@link HubCache}. Opening the tensors there is the job of the model folder reader.
 */
public final class ModelResolver {

    private final HubCache cache;

    public ModelResolver(HubCache cache) {
        this.cache = cache;
    }

    /** A resolver over the cache this process's environment points to. */
    public static ModelResolver offline() {
        return new ModelResolver(HubCache.fromEnvironment());
    }

    public HubCache cache() {
        return cache;
    }

    /**
     * Where a model lives.
     *
     * @param ref     the reference resolved
     * @param base    a model folder or a single {@code .safetensors} file
     * @param adapter the adapter's folder or file, or null
     */
    public record Resolved(ModelRef ref, Path base, Path adapter) {
        /** True when the base is one {@code .safetensors} file rather than a folder. */
        public boolean baseIsSingleFile() {
            return Files.isRegularFile(base);
        }
    }

    public Resolved resolve(ModelRef ref) {
        Path base = resolve(ref.base(), "model");
        Path adapter = ref.adapter() == null ? null : resolve(ref.adapter(), "adapter");
        return new Resolved(ref, base, adapter);
    }

    /** Resolves one half of a reference; {@code role} ("model", "adapter") appears in messages. */
    public Path resolve(ModelRef.Target target, String role) {
        return switch (target) {
            case ModelRef.Local local -> local(local.path(), role);
            case ModelRef.Hub hub -> cache.resolve(hub.repoId(), hub.revision());
        };
    }

    private static Path local(Path path, String role) {
        if (Files.isDirectory(path)) {
            return path;
        }
        if (Files.isRegularFile(path)) {
            WeightFiles.readableFormat(path); // one line for a file that is not weights, or a format not supported yet
            return path;
        }
        throw MergeLabException.input(role + " " + path + " does not exist",
                "check the path, or give a Hugging Face id like org/name");
    }
}
