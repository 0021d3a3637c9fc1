package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.WeightFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
            case ModelRef.Hub hub -> cache.find(hub.repoId(), hub.revision()).orElseGet(() -> {
                lookingLikeAPath(hub, role);
                return cache.resolve(hub.repoId(), hub.revision());
            });
        };
    }

    /**
     * A hub id whose first part is a local folder ({@code fam/ft9} beside a folder {@code fam}) is almost
     * certainly a mistyped path, not a model to download: say so, with what the folder holds.
     */
    private static void lookingLikeAPath(ModelRef.Hub hub, String role) {
        Path id = Path.of(hub.repoId());
        String has = hub.revision() == null ? folderHas(id.getParent()) : null;
        if (has != null) {
            throw MergeLabException.input(role + " " + hub.repoId() + " does not exist: " + has
                    + ", and no Hugging Face model of that name is in the cache", "check the path");
        }
    }

    /** "the folder P has no N (it has a, b, c)" when {@code parent} is a folder, else null. */
    private static String folderHas(Path parent) {
        if (parent == null || !Files.isDirectory(parent)) {
            return null;
        }
        try (var s = Files.list(parent)) {
            List<String> names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            String list = names.isEmpty() ? "no folders" : names.size() <= 12 ? String.join(", ", names)
                    : String.join(", ", names.subList(0, 12)) + ", ... (" + names.size() + " folders)";
            return "the folder " + parent + " has " + list;
        } catch (IOException e) {
            return null;
        }
    }

    private static Path local(Path path, String role) {
        if (Files.isDirectory(path)) {
            return path;
        }
        if (Files.isRegularFile(path)) {
            WeightFiles.readableFormat(path); // one line for a file that is not weights
            return path;
        }
        String has = folderHas(path.toAbsolutePath().getParent());
        throw MergeLabException.input(role + " " + path + " does not exist" + (has == null ? "" : " (" + has + ")"),
                "check the path, or give a Hugging Face id like org/name");
    }
}
