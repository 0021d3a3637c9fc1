package dev.mergelab.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code model.safetensors.index.json}: which shard file holds each tensor. Shard names must be plain
 * file names in the same folder; anything that could point elsewhere ({@code ../}, absolute paths,
 * separators) is refused, because the index is as untrusted as the weights.
 */
public final class ShardIndex {

    public static final String FILE_NAME = "model.safetensors.index.json";
    static final long MAX_INDEX_BYTES = 64L << 20;

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).build())
            .build());

    private final Map<String, String> weightMap;
    private final long totalSize;

    public ShardIndex(Map<String, String> weightMap, long totalSize) {
        this.weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
        this.totalSize = totalSize;
    }

    /** Tensor name to shard file name, in index order. */
    public Map<String, String> weightMap() {
        return weightMap;
    }

    public long totalSize() {
        return totalSize;
    }

    public static ShardIndex read(Path file) {
        String where = file.toString();
        JsonNode root;
        try {
            if (Files.size(file) > MAX_INDEX_BYTES) {
                throw MergeLabException.input(where + ": index larger than 64 MiB", "this is not a real shard index");
            }
            root = JSON.readTree(file.toFile());
        } catch (MergeLabException e) {
            throw e;
        } catch (IOException e) {
            throw MergeLabException.input(where + ": not a valid JSON shard index: " + firstLine(e.getMessage()),
                    "re-download the model's index file");
        }
        if (root == null || !root.isObject() || !root.path("weight_map").isObject()) {
            throw MergeLabException.input(where + ": shard index has no weight_map object", "re-download the model's index file");
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("weight_map").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw MergeLabException.input(where + ": weight_map entry '" + e.getKey() + "' is not a file name", null);
            }
            String shard = e.getValue().asText();
            checkPlainFileName(shard, where + ": weight_map entry '" + e.getKey() + "'");
            map.put(e.getKey(), shard);
        }
        long total = root.path("metadata").path("total_size").asLong(-1);
        return new ShardIndex(map, total);
    }

    /** Refuses names that could leave the folder: separators, "..", absolute paths, NUL, empty. */
    public static void checkPlainFileName(String name, String what) {
        boolean bad = name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0 || name.contains(":");
        if (bad) {
            throw MergeLabException.input(what + " points outside the model folder ('" + clip(name) + "')",
                    "refusing a path that could escape the folder; the index must name files beside it");
        }
    }

    /** Writes an index for {@code weightMap}. */
    public static void write(Path file, Map<String, String> weightMap, long totalSize, Map<String, String> extraMetadata)
            throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode meta = root.putObject("metadata");
        meta.put("total_size", totalSize);
        if (extraMetadata != null) {
            extraMetadata.forEach(meta::put);
        }
        ObjectNode wm = root.putObject("weight_map");
        weightMap.forEach(wm::put);
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    private static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "parse error";
        }
        int nl = s.indexOf('\n');
        return clip(nl < 0 ? s : s.substring(0, nl));
    }
}
