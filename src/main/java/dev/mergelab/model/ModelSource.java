package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.ShardIndex;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.WeightFiles;
import dev.mergelab.model.gguf.GgufModelFile;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The tensors of one model, wherever they live: a single weight file (flat, tensors by name), a folder
 * with {@code model.safetensors}, or a sharded folder with {@code model.safetensors.index.json}. Every
 * file is opened through {@link WeightFiles#open} (which knows the formats) and validated on open; tensor
 * bytes are read only when a job touches them.
 *
 * <p>A GGUF file, or a folder holding exactly one, is a whole model ({@link GgufModelFile}): its tensors carry
 * Hugging Face names and values, and {@link #folder()} is a companion folder with config.json and the tokenizer
 * files rebuilt from its metadata, deleted when this source is closed.
 */
public final class ModelSource implements AutoCloseable, WeightSource {

    private final String displayName;
    private final Path root;
    private final boolean singleFile;
    private final List<WeightFile> files;
    private final Map<String, TensorRef> tensors;
    /** Config and tokenizer files rebuilt from a GGUF file's metadata; null for every other model. */
    private final Path companion;

    private ModelSource(String displayName, Path root, boolean singleFile, List<WeightFile> files,
            Map<String, TensorRef> tensors, Path companion) {
        this.displayName = displayName;
        this.root = root;
        this.singleFile = singleFile;
        this.files = files;
        this.tensors = tensors;
        this.companion = companion;
    }

    /** Opens a model folder or a single weight file. */
    public static ModelSource open(Path path, String displayName) {
        if (Files.isRegularFile(path)) {
            if (WeightFiles.readableFormat(path) == WeightFiles.Format.GGUF) {
                return openGguf(displayName, path, path);
            }
            WeightFile f = WeightFiles.open(path);
            Map<String, TensorRef> map = new LinkedHashMap<>();
            for (TensorInfo t : f.tensors()) {
                map.put(t.name(), new TensorRef(f, t));
            }
            return new ModelSource(displayName, path, true, List.of(f), Collections.unmodifiableMap(map), null);
        }
        if (!Files.isDirectory(path)) {
            throw MergeLabException.input(path + ": no such model folder or file", "check the path or hub id");
        }
        Path index = indexFile(path);
        if (!Files.isRegularFile(index) && filesMatching(path, "*.safetensors").isEmpty()) {
            List<Path> ggufs = filesMatching(path, "*.gguf");
            if (ggufs.size() > 1) {
                throw MergeLabException.input(path + " holds " + ggufs.size() + " .gguf files (" + ggufs.get(0).getFileName() + ", "
                        + ggufs.get(1).getFileName() + (ggufs.size() > 2 ? ", ..." : "") + ")", "name the .gguf file to use");
            }
            if (ggufs.size() == 1) {
                return openGguf(displayName, path, ggufs.get(0));
            }
        }
        List<WeightFile> opened = new ArrayList<>();
        try {
            Map<String, TensorRef> map = new LinkedHashMap<>();
            if (Files.isRegularFile(index)) {
                openSharded(path, index, opened, map);
            } else {
                List<Path> weights = weightFiles(path);
                for (Path p : weights) {
                    WeightFiles.readableFormat(p);
                    WeightFile f = WeightFiles.open(p);
                    opened.add(f);
                    for (TensorInfo t : f.tensors()) {
                        if (map.put(t.name(), new TensorRef(f, t)) != null) {
                            throw MergeLabException.input(p + ": tensor '" + t.name() + "' also appears in another file of "
                                    + path, "remove the stray .safetensors file from the folder");
                        }
                    }
                }
            }
            return new ModelSource(displayName, path, false, List.copyOf(opened), Collections.unmodifiableMap(map), null);
        } catch (RuntimeException e) {
            opened.forEach(WeightFile::close);
            throw e;
        }
    }

    /**
     * A GGUF file as a model folder: Hugging Face tensor names, and the config and tokenizer files its metadata
     * rebuilds in a companion folder. {@code root} is what was given (the file, or the folder holding it).
     */
    private static ModelSource openGguf(String displayName, Path root, Path file) {
        GgufModelFile f = GgufModelFile.open(file);
        Map<String, TensorRef> map = new LinkedHashMap<>();
        for (TensorInfo t : f.tensors()) {
            map.put(t.name(), new TensorRef(f, t));
        }
        return new ModelSource(displayName, root, false, List.of(f), Collections.unmodifiableMap(map), f.folder());
    }

    /**
     * The folder's shard index: model.safetensors.index.json, or else, in a folder without safetensors weights,
     * PyTorch's pytorch_model.bin.index.json (Transformers prefers safetensors the same way). May not exist.
     */
    private static Path indexFile(Path folder) {
        Path index = folder.resolve(ShardIndex.FILE_NAME);
        Path binIndex = folder.resolve(PYTORCH_INDEX);
        if (!Files.isRegularFile(index) && Files.isRegularFile(binIndex) && filesMatching(folder, "*.safetensors").isEmpty()) {
            return binIndex;
        }
        return index;
    }

    /** Transformers' names for PyTorch weights (read by format.pickle, never unpickled by Python). */
    private static final String PYTORCH_INDEX = "pytorch_model.bin.index.json";
    private static final String PYTORCH_WEIGHTS = "pytorch_model.bin";

    private static void openSharded(Path folder, Path index, List<WeightFile> opened, Map<String, TensorRef> map) {
        ShardIndex idx = ShardIndex.read(index);
        Map<String, WeightFile> byShard = new LinkedHashMap<>();
        for (String shard : new TreeSet<>(idx.weightMap().values())) {
            ShardIndex.checkPlainFileName(shard, index + ": weight_map shard");
            Path p = SafePaths.resolveInside(folder, shard);
            WeightFile f = WeightFiles.open(p);
            opened.add(f);
            byShard.put(shard, f);
        }
        for (Map.Entry<String, String> e : idx.weightMap().entrySet()) {
            WeightFile f = byShard.get(e.getValue());
            TensorInfo t = f.tensor(e.getKey());
            if (t == null) {
                throw MergeLabException.input(index + ": tensor '" + e.getKey() + "' is listed in " + e.getValue()
                        + " but that shard does not contain it", "re-download the model; its index and shards disagree");
            }
            map.put(e.getKey(), new TensorRef(f, t));
        }
    }

    /**
     * The weight files of an unindexed folder: model.safetensors, or else every *.safetensors file, or
     * else pytorch_model.bin (a folder with one .gguf file and no safetensors is opened as GGUF before this).
     */
    private static List<Path> weightFiles(Path folder) {
        Path single = folder.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return List.of(SafePaths.resolveInside(folder, "model.safetensors"));
        }
        List<Path> found = filesMatching(folder, "*.safetensors");
        if (found.isEmpty() && Files.isRegularFile(folder.resolve(PYTORCH_WEIGHTS))) {
            found = List.of(SafePaths.resolveInside(folder, PYTORCH_WEIGHTS));
        }
        if (found.isEmpty()) {
            throw MergeLabException.input(folder + ": no .safetensors or pytorch_model.bin weights in this folder",
                    "point at a Hugging Face model folder or a .safetensors file");
        }
        return found;
    }

    /** The folder's entries matching {@code glob}, sorted by name. */
    private static List<Path> filesMatching(Path folder, String glob) {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder, glob)) {
            for (Path p : ds) {
                found.add(SafePaths.resolveInside(folder, p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw MergeLabException.input(folder + ": cannot list folder: " + e.getMessage(), null);
        }
        found.sort(null);
        return found;
    }

    /**
     * This model with some tensors replaced (a base with a LoRA adapter applied on the fly): same folder,
     * config and tokenizer, the given tensor map, and {@code extraFiles} (the adapter's) added to its
     * files for hashing and closing. The result takes over this source's files: close only the result.
     */
    public ModelSource withTensors(String newDisplayName, Map<String, TensorRef> newTensors, List<? extends WeightFile> extraFiles) {
        List<WeightFile> all = new ArrayList<>(files);
        all.addAll(extraFiles);
        return new ModelSource(newDisplayName, root, singleFile, List.copyOf(all),
                Collections.unmodifiableMap(new LinkedHashMap<>(newTensors)), companion);
    }

    @Override
    public String displayName() {
        return displayName;
    }

    /** The folder or file this model was opened from. */
    public Path root() {
        return root;
    }

    /**
     * The folder holding config and tokenizer files (the file's folder for a single file; for a GGUF model the
     * companion folder rebuilt from its metadata).
     */
    public Path folder() {
        if (companion != null) {
            return companion;
        }
        return singleFile ? root.toAbsolutePath().getParent() : root;
    }

    /**
     * True when opened from one flat weight file rather than a model folder. A GGUF file is not one: it carries its
     * config and tokenizer, and {@link #folder()} holds them.
     */
    public boolean isSingleFile() {
        return singleFile;
    }

    /** Tensors by name, in index / file order. */
    public Map<String, TensorRef> tensors() {
        return tensors;
    }

    @Override
    public TensorRef tensor(String name) {
        return tensors.get(name);
    }

    /** The folder's config.json; a one-line error when it has none. */
    @Override
    public ModelConfig config() {
        return ModelConfig.readFolder(folder());
    }

    /** The weight files opened, for hashing and I/O accounting. */
    public List<WeightFile> files() {
        return files;
    }

    public long totalTensorBytes() {
        long b = 0;
        for (TensorRef t : tensors.values()) {
            b += t.byteSize();
        }
        return b;
    }

    @Override
    public void close() {
        files.forEach(WeightFile::close);
    }
}
