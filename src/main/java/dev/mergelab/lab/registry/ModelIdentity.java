package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.gguf.GgufFile;
import dev.mergelab.engine.FileHashes;
import dev.mergelab.engine.ModelFolderCheck;
import dev.mergelab.format.SafetensorsFile;
import dev.mergelab.format.ShardIndex;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.WeightFile;
import dev.mergelab.model.AuxFiles;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What the registry records of a model on disk: content id, where it is, whether it is a full model or a PEFT
 * adapter, its size, main dtype and architecture, and the file list the id was computed from.
 *
 * @param kind         {@value #MODEL}, {@value #ADAPTER} or {@value #VIRTUAL}
 * @param dtype        the floating dtype holding most parameters (safetensors name), or null
 * @param architecture config.json's first {@code architectures} entry (else its model_type), "lora" for an adapter
 */
public record ModelIdentity(String id, Path path, String kind, long size, String dtype, String architecture,
        SortedMap<String, ContentId.FileEntry> files) {

    public static final String MODEL = "model";
    public static final String ADAPTER = "adapter";
    /** A child merged in memory and evaluated, never written: no path, no files ({@link VirtualRecord}). */
    public static final String VIRTUAL = "virtual";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADAPTER_CONFIG = "adapter_config.json";
    private static final String ADAPTER_WEIGHTS = "adapter_model.safetensors";

    public ModelIdentity {
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    /** Describes the model folder or {@code .safetensors} file at {@code path}. */
    public static ModelIdentity of(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        if (Files.isRegularFile(abs)) {
            String name = abs.getFileName().toString();
            boolean gguf = name.endsWith(".gguf");
            if (!name.endsWith(".safetensors") && !gguf) {
                throw MergeLabException.input(path + " is not a model folder, .safetensors or .gguf file", "the lab records models by their files");
            }
            SortedMap<String, ContentId.FileEntry> files = new TreeMap<>();
            files.put(name, entry(abs));
            Facts f = gguf ? ggufFacts(abs) : modelFacts(abs);
            return new ModelIdentity(ContentId.of(files), abs, MODEL, total(files), f.dtype, f.architecture, files);
        }
        if (!Files.isDirectory(abs)) {
            throw MergeLabException.input(path + ": no such model folder or file", "check the path");
        }
        boolean adapter = Files.isRegularFile(abs.resolve(ADAPTER_CONFIG));
        SortedMap<String, ContentId.FileEntry> files = ModelFolderCheck.hasManifest(abs) ? fromManifest(abs)
                : adapter ? adapterFiles(abs) : modelFiles(abs);
        Facts f = adapter ? adapterFacts(abs) : modelFacts(abs);
        return new ModelIdentity(ContentId.of(files), abs, adapter ? ADAPTER : MODEL, total(files), f.dtype, f.architecture, files);
    }

    private record Facts(String dtype, String architecture) {
    }

    private static long total(SortedMap<String, ContentId.FileEntry> files) {
        return files.entrySet().stream().filter(e -> !ContentId.NOT_CONTENT.contains(e.getKey())).mapToLong(e -> e.getValue().size()).sum();
    }

    private static ContentId.FileEntry entry(Path file) {
        try {
            return new ContentId.FileEntry(Files.size(file), FileHashes.sha256Cached(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file list of a folder MergeLab wrote, as its manifest records it: nothing is read but the manifest. */
    private static SortedMap<String, ContentId.FileEntry> fromManifest(Path dir) {
        SortedMap<String, ContentId.FileEntry> files = new TreeMap<>();
        Path manifest = dir.resolve(ModelFolderCheck.MANIFEST);
        try {
            if (Files.size(manifest) > (16L << 20)) {
                throw MergeLabException.input(manifest + " is too large to be a MergeLab manifest", null);
            }
            JsonNode root = JSON.readTree(manifest.toFile());
            for (Map.Entry<String, JsonNode> e : root.path("files").properties()) {
                String sha = e.getValue().path("sha256").asText("");
                if (!sha.matches("[0-9a-f]{64}") || !e.getValue().path("size").canConvertToLong()) {
                    throw MergeLabException.input(manifest + ": entry " + e.getKey() + " has no valid size and sha256",
                            "run 'mergelab verify " + dir + "'");
                }
                files.put(e.getKey(), new ContentId.FileEntry(e.getValue().path("size").asLong(), sha));
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + manifest + ": " + e.getMessage(), null);
        }
        if (files.isEmpty()) {
            throw MergeLabException.input(manifest + " lists no files", "run 'mergelab verify " + dir + "'");
        }
        return files;
    }

    private static SortedMap<String, ContentId.FileEntry> adapterFiles(Path dir) {
        Map<String, Path> files = new TreeMap<>();
        for (String name : new String[] {ADAPTER_CONFIG, ADAPTER_WEIGHTS}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                files.put(name, p);
            }
        }
        return hashAll(files);
    }

    /** Weights (and index), config.json and the tokenizer, generation and processor files: what a loader reads. */
    private static SortedMap<String, ContentId.FileEntry> modelFiles(Path dir) {
        Map<String, Path> files = new TreeMap<>();
        try (ModelSource m = ModelSource.open(dir, dir.getFileName().toString())) {
            for (WeightFile w : m.files()) {
                files.put(dir.relativize(w.path().toAbsolutePath().normalize()).toString(), w.path());
            }
        }
        for (String name : new String[] {ShardIndex.FILE_NAME, "config.json"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                files.put(name, p);
            }
        }
        for (Path p : AuxFiles.present(dir)) {
            files.put(p.getFileName().toString(), p);
        }
        return hashAll(files);
    }

    /**
     * Size and SHA-256 of each file, shards in parallel: a parent met for the first time (and not hashed by the
     * command, as lora merge and extract do not) is read once at the disk's pace rather than one core's.
     */
    private static SortedMap<String, ContentId.FileEntry> hashAll(Map<String, Path> files) {
        return new TreeMap<>(files.entrySet().parallelStream().collect(Collectors.toMap(Map.Entry::getKey, e -> entry(e.getValue()))));
    }

    /**
     * Main dtype from the tensor headers and architecture from config.json: both read without touching tensor data
     * or parsing the tokenizer (a large tokenizer.json would cost a recording hundreds of milliseconds).
     */
    /**
     * A GGUF file's architecture ({@code general.architecture}) and its file type as llama.cpp names it
     * ({@code general.file_type}, e.g. 15 = MOSTLY_Q4_K_M), read from the header only.
     */
    private static Facts ggufFacts(Path path) {
        try (GgufFile g = GgufFile.open(path)) {
            Map<String, String> meta = g.metadata();
            String fileType = meta.get("general.file_type");
            return new Facts(fileType == null ? null : "gguf file_type " + fileType, meta.get("general.architecture"));
        } catch (MergeLabException e) {
            return new Facts(null, null); // facts are descriptive; an odd file is still recorded by its bytes
        }
    }

    private static Facts modelFacts(Path path) {
        try (ModelSource m = ModelSource.open(path, path.getFileName().toString())) {
            Map<DType, Long> counts = new EnumMap<>(DType.class);
            for (TensorRef t : m.tensors().values()) {
                counts.merge(t.dtype(), t.numel(), Long::sum);
            }
            return new Facts(mainDtype(counts), m.isSingleFile() ? null : architecture(m.folder().resolve("config.json")));
        } catch (RuntimeException e) {
            return new Facts(null, null); // facts are descriptive; an odd model is still recorded by its files
        }
    }

    /** config.json's first {@code architectures} entry, else its {@code model_type}, else null. */
    private static String architecture(Path config) {
        try {
            if (!Files.isRegularFile(config) || Files.size(config) > ModelConfig.MAX_BYTES) {
                return null;
            }
            JsonNode c = JSON.readTree(config.toFile());
            String arch = c.path("architectures").path(0).asText(null);
            return arch != null ? arch : c.path("model_type").asText(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Facts adapterFacts(Path dir) {
        Path weights = dir.resolve(ADAPTER_WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            return new Facts(null, "lora");
        }
        try (SafetensorsFile f = SafetensorsFile.open(weights)) {
            Map<DType, Long> counts = new EnumMap<>(DType.class);
            for (TensorInfo t : f.tensors()) {
                counts.merge(t.dtype(), t.numel(), Long::sum);
            }
            return new Facts(mainDtype(counts), "lora");
        } catch (RuntimeException e) {
            return new Facts(null, "lora");
        }
    }

    private static String mainDtype(Map<DType, Long> counts) {
        return counts.entrySet().stream().filter(e -> e.getKey().isFloating()).max(Comparator.comparingLong(Map.Entry::getValue))
                .map(e -> e.getKey().safetensorsName()).orElse(null);
    }
}
