package dev.mergelab.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.format.ShardIndex;
import dev.mergelab.format.TensorInfo;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.WeightFiles;
import dev.mergelab.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Checks of a finished model folder, shared by the merge (before the folder is renamed into place) and by
 * {@code mergelab verify}: shard headers valid, index consistent with the shards, tensor values finite, and
 * every file matching the SHA-256 recorded in {@value #MANIFEST}, which {@link MergeRun} writes last. Each
 * problem is one line naming the file or tensor.
 */
public final class ModelFolderCheck {

    /** The output manifest: size and SHA-256 of every other file in the folder. */
    public static final String MANIFEST = "mergelab_manifest.json";
    /** A manifest is a few KB; anything larger is not ours. */
    private static final long MAX_MANIFEST_BYTES = 16L << 20;
    private static final int VALUE_CHUNK = 1 << 20;

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(1 << 16).build())
            .build()).enable(SerializationFeature.INDENT_OUTPUT).enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** Well-formedness only, so the caps are those of Jackson's defaults (tokenizer.json holds long strings). */
    private static final JsonFactory LENIENT_SIZE_JSON = JsonFactory.builder().build();

    private ModelFolderCheck() {
    }

    /**
     * Writes {@value #MANIFEST}: every regular file of {@code dir} but the manifest, sorted by name, with size
     * and SHA-256 (hashed on {@code threads} threads). Deterministic: no times, no absolute paths.
     */
    public static void writeManifest(Path dir, String version, int threads) throws IOException {
        writeManifest(dir, version, threads, Map.of());
    }

    /**
     * The same, taking the SHA-256 of files whose digest the writer computed while writing them
     * ({@code known}, by file name) instead of reading them again.
     */
    public static void writeManifest(Path dir, String version, int threads, Map<String, String> known) throws IOException {
        List<Path> files = files(dir);
        Map<String, Future<String>> hashes = new TreeMap<>();
        ExecutorService pool = dev.mergelab.Workers.pool(Math.max(1, Math.min(threads, files.size())), "manifest-hash");
        try {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String digest = known.get(name);
                hashes.put(name, digest != null ? java.util.concurrent.CompletableFuture.completedFuture(digest)
                        : pool.submit(() -> FileHashes.sha256(f)));
            }
            ObjectNode root = JSON.createObjectNode();
            root.put("mergelab_version", version);
            ObjectNode list = root.putObject("files");
            for (Map.Entry<String, Future<String>> e : hashes.entrySet()) {
                ObjectNode n = list.putObject(e.getKey());
                n.put("size", Files.size(dir.resolve(e.getKey())));
                n.put("sha256", e.getValue().get());
            }
            Files.writeString(dir.resolve(MANIFEST), JSON.writeValueAsString(root) + "\n");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing the output", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IllegalStateException("hashing the output failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Everything {@code mergelab verify} checks, for any model: a folder (by MergeLab or not; a Hugging Face cache
     * snapshot's links are followed) or a single {@code .safetensors} file. Every weight file parses, the index
     * covers every tensor, values are finite, every JSON file parses (config.json as a model config), and when
     * {@value #MANIFEST} is there, every file matches it. Empty when the model is sound.
     */
    public static List<String> verify(Path model) {
        String fileName = model.getFileName() == null ? "" : model.getFileName().toString();
        if (Files.isRegularFile(model) && (fileName.endsWith(".safetensors") || fileName.endsWith(".bin"))) {
            return shardProblems(List.of(model), true, new HashMap<>(), new long[1]);
        }
        if (!Files.isDirectory(model)) {
            return List.of(model + ": not a model folder, .safetensors or pytorch .bin file");
        }
        List<String> problems = new ArrayList<>();
        if (hasManifest(model)) {
            problems.addAll(manifestProblems(model));
        }
        problems.addAll(weightProblems(model, true));
        problems.addAll(jsonProblems(model));
        return problems;
    }

    /** True when the folder holds {@value #MANIFEST} (MergeLab wrote it), so verify checks hashes too. */
    public static boolean hasManifest(Path dir) {
        return Files.exists(dir.resolve(MANIFEST), LinkOption.NOFOLLOW_LINKS);
    }

    /** Every {@code .json} file parses; config.json also as a model config (what a merge would read of it). */
    static List<String> jsonProblems(Path dir) {
        List<String> problems = new ArrayList<>();
        List<Path> files;
        try {
            files = contentFiles(dir).stream().filter(p -> p.getFileName().toString().endsWith(".json")).toList();
        } catch (IOException e) {
            return List.of(dir + ": cannot list: " + e.getMessage());
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            try {
                if (name.equals(ShardIndex.FILE_NAME) || name.equals(PYTORCH_INDEX)) {
                    continue; // read with its own checks by weightProblems
                }
                if (name.equals("config.json")) {
                    ModelConfig.read(f);
                    continue;
                }
                // Streamed token by token: tokenizer.json can be tens of MB, and only well-formedness is asked.
                try (JsonParser p = LENIENT_SIZE_JSON.createParser(f.toFile())) {
                    while (p.nextToken() != null) {
                        // every token read is a token that parsed
                    }
                }
            } catch (MergeLabException e) {
                problems.add(e.getMessage());
            } catch (IOException e) {
                problems.add(name + ": not valid JSON: " + firstLine(e.getMessage()));
            }
        }
        return problems;
    }

    /**
     * Shard headers valid, every tensor in exactly one shard, the index (required when there are several
     * shards) naming each tensor's shard and nothing else, and its total_size equal to the tensor bytes.
     * With {@code values}, also every floating tensor's values finite (reported by tensor name).
     */
    public static List<String> weightProblems(Path dir, boolean values) {
        List<String> problems = new ArrayList<>();
        List<Path> shards;
        String indexName = ShardIndex.FILE_NAME;
        try {
            shards = contentFiles(dir).stream().filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList();
            if (shards.isEmpty()) {
                // PyTorch weights only (read by the restricted unpickler, as everywhere): Transformers' names
                shards = contentFiles(dir).stream().filter(p -> isPytorchWeights(p.getFileName().toString())).toList();
                indexName = PYTORCH_INDEX;
            }
        } catch (IOException e) {
            return List.of(dir + ": cannot list: " + e.getMessage());
        }
        if (shards.isEmpty()) {
            problems.add(dir + ": no weight files (.safetensors, or pytorch_model*.bin)");
        }
        Map<String, String> shardOf = new HashMap<>();
        long[] tensorBytes = new long[1];
        problems.addAll(shardProblems(shards, values, shardOf, tensorBytes));
        indexProblems(dir, indexName, shards.size(), shardOf, tensorBytes[0], problems);
        return problems;
    }

    /**
     * Each shard's header, tensors unique across shards ({@code shardOf}: tensor to shard name, filled in), and with
     * {@code values} every floating value finite. Adds the tensors' bytes to {@code tensorBytes[0]}.
     */
    private static List<String> shardProblems(List<Path> shards, boolean values, Map<String, String> shardOf, long[] tensorBytes) {
        List<String> problems = new ArrayList<>();
        for (Path shard : shards) {
            String name = shard.getFileName().toString();
            try (WeightFile f = WeightFiles.open(shard)) {
                for (TensorInfo t : f.tensors()) {
                    String before = shardOf.putIfAbsent(t.name(), name);
                    if (before != null) {
                        problems.add(name + ": tensor " + t.name() + " is also in " + before);
                    }
                    tensorBytes[0] += t.byteSize();
                    if (values && t.dtype().isFloating()) {
                        long bad = nonFinite(f, t);
                        if (bad > 0) {
                            problems.add(name + ": tensor " + t.name() + " has " + bad + " NaN/Inf values");
                        }
                    }
                }
            } catch (MergeLabException e) {
                problems.add(e.getMessage());
            } catch (InternalError e) {
                problems.add(name + ": could not be read (" + e.getMessage() + "); was it truncated?");
            }
        }
        return problems;
    }

    /** Transformers' PyTorch weight names: pytorch_model.bin, or its shards pytorch_model-00001-of-00002.bin. */
    private static boolean isPytorchWeights(String name) {
        return name.startsWith("pytorch_model") && name.endsWith(".bin");
    }

    private static final String PYTORCH_INDEX = "pytorch_model.bin.index.json";

    /** The index (required with several shards) names each tensor's shard and nothing else; total_size right. */
    private static void indexProblems(Path dir, String indexName, int shardCount, Map<String, String> shardOf, long tensorBytes,
                                      List<String> problems) {
        Path indexFile = dir.resolve(indexName);
        if (!Files.exists(indexFile)) {
            if (shardCount > 1) {
                problems.add(dir + ": " + shardCount + " shard files but no " + indexName);
            }
            return;
        }
        ShardIndex index;
        try {
            index = ShardIndex.read(indexFile);
        } catch (MergeLabException e) {
            problems.add(e.getMessage());
            return;
        }
        for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
            String actual = shardOf.get(e.getKey());
            if (actual == null) {
                problems.add(indexName + ": tensor " + e.getKey() + " is in no shard (index says " + e.getValue() + ")");
            } else if (!actual.equals(e.getValue())) {
                problems.add(indexName + ": tensor " + e.getKey() + " is in " + actual + ", index says " + e.getValue());
            }
        }
        for (Map.Entry<String, String> e : shardOf.entrySet()) {
            if (!index.weightMap().containsKey(e.getKey())) {
                problems.add(indexName + ": tensor " + e.getKey() + " of " + e.getValue() + " is missing from the index");
            }
        }
        if (index.totalSize() != tensorBytes) {
            problems.add(indexName + ": total_size is " + index.totalSize() + " but the shards hold " + tensorBytes
                    + " tensor bytes");
        }
    }

    /**
     * The file names {@value #MANIFEST} lists, or empty when the folder has no readable manifest (not written by
     * MergeLab). Sizes and hashes are not checked: this only says which files MergeLab wrote.
     */
    public static Optional<Set<String>> manifestEntries(Path dir) {
        Path manifest = dir.resolve(MANIFEST);
        try {
            if (!Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS) || Files.size(manifest) > MAX_MANIFEST_BYTES) {
                return Optional.empty();
            }
            JsonNode listed = JSON.readTree(Files.readAllBytes(manifest)).get("files");
            if (listed == null || !listed.isObject()) {
                return Optional.empty();
            }
            Set<String> names = new TreeSet<>();
            listed.fieldNames().forEachRemaining(names::add);
            return Optional.of(names);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Every file listed with the right size and SHA-256, and every file of the folder listed. */
    public static List<String> manifestProblems(Path dir) {
        List<String> problems = new ArrayList<>();
        Path manifest = dir.resolve(MANIFEST);
        JsonNode root;
        try {
            if (!Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)) {
                return List.of(dir + ": no " + MANIFEST + " (not made by MergeLab, or an unfinished merge)");
            }
            if (Files.size(manifest) > MAX_MANIFEST_BYTES) {
                return List.of(MANIFEST + ": larger than " + MAX_MANIFEST_BYTES + " bytes");
            }
            root = JSON.readTree(Files.readAllBytes(manifest));
        } catch (IOException e) {
            return List.of(MANIFEST + ": unreadable: " + firstLine(e.getMessage()));
        }
        JsonNode listed = root == null ? null : root.get("files");
        if (listed == null || !listed.isObject()) {
            return List.of(MANIFEST + ": has no \"files\" object");
        }
        for (Map.Entry<String, JsonNode> e : listed.properties()) {
            String name = e.getKey();
            try {
                ShardIndex.checkPlainFileName(name, MANIFEST + ": entry");
            } catch (MergeLabException x) {
                problems.add(x.getMessage());
                continue;
            }
            Path f = dir.resolve(name);
            JsonNode sha = e.getValue().get("sha256");
            JsonNode size = e.getValue().get("size");
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                problems.add(name + ": listed in " + MANIFEST + " but missing");
            } else if (sha == null || !sha.isTextual() || size == null || !size.canConvertToLong()) {
                problems.add(MANIFEST + ": entry " + name + " lacks size or sha256");
            } else {
                try {
                    long actualSize = Files.size(f);
                    if (actualSize != size.longValue()) {
                        problems.add(name + ": " + actualSize + " bytes, the manifest records " + size.longValue());
                    } else if (!FileHashes.sha256(f).equals(sha.asText())) {
                        problems.add(name + ": SHA-256 differs from the manifest (changed since the merge)");
                    }
                } catch (IOException | UncheckedIOException x) {
                    problems.add(name + ": unreadable: " + firstLine(x.getMessage()));
                } catch (InternalError x) {
                    problems.add(name + ": changed while being hashed (" + x.getMessage() + ")");
                }
            }
        }
        try {
            for (Path f : files(dir)) {
                String name = f.getFileName().toString();
                if (!name.equals(MANIFEST) && !listed.has(name)) {
                    problems.add(name + ": not listed in " + MANIFEST);
                }
            }
        } catch (IOException e) {
            problems.add(dir + ": cannot list: " + e.getMessage());
        }
        return problems;
    }

    /** NaN/Inf values in {@code t}, decoded in chunks of whole rows (at least one). */
    private static long nonFinite(WeightFile f, TensorInfo t) {
        long bad = 0;
        long rows = t.numel() == 0 ? 0 : t.rows();
        int rowLength = Math.toIntExact(t.rowLength());
        int chunkRows = (int) Math.max(1, Math.min(rows, VALUE_CHUNK / Math.max(1, rowLength)));
        float[] buf = new float[Math.toIntExact((long) chunkRows * rowLength)];
        for (long row = 0; row < rows; row += chunkRows) {
            int r = (int) Math.min(chunkRows, rows - row);
            f.decodeRows(t, row, r, buf, 0);
            int c = r * rowLength;
            for (int i = 0; i < c; i++) {
                if (!Float.isFinite(buf[i])) {
                    bad++;
                }
            }
        }
        return bad;
    }

    /** Regular files directly in {@code dir} (not following links), sorted by name, the manifest excluded. */
    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .filter(p -> !p.getFileName().toString().equals(MANIFEST)).sorted().toList();
        }
    }

    /**
     * Files directly in {@code dir} whose content is checked, following links (a hub cache snapshot is links into
     * blobs/), sorted by name, the manifest excluded.
     */
    private static List<Path> contentFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(MANIFEST)).sorted().toList();
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
