package dev.mergelab.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code model.safetensors.index.json}: which shard file holds each tensor. Shard names must be plain
 * file names in the same folder; anything that could point elsewhere ({@code ../}, absolute paths,
 * separators) is refused, because the index is as untrusted as the weights.
 *
 * <p>The index is read with a streaming parser rather than as a tree: a 64 MiB file of tiny entries would
 * otherwise become well over a gigabyte of JSON nodes. Entries are capped at {@link #MAX_ENTRIES} and
 * distinct shard names at {@link #MAX_SHARDS}, which keeps the heap cost of a hostile index to a few
 * hundred MB at most.
 */
public final class ShardIndex {

    public static final String FILE_NAME = "model.safetensors.index.json";
    static final long MAX_INDEX_BYTES = 64L << 20;
    /** Same cap as tensors per file: far above any real model (DeepSeek-V3 has about 91k tensors). */
    static final int MAX_ENTRIES = SafetensorsHeader.MAX_TENSORS;
    /** Transformers numbers shards with five digits, so a real index names at most 99999 files. */
    static final int MAX_SHARDS = 99_999;

    private static final String HINT = "re-download the model's index file";

    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxNameLength(1 << 16)
                    .maxStringLength(1 << 20)
                    .maxNumberLength(32)
                    .build())
            .build());

    /** Windows opens these as devices in any folder, whatever the extension. */
    private static final Set<String> WINDOWS_DEVICES = Set.of("CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM\u00b9", "COM\u00b2", "COM\u00b3",
            "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT\u00b9", "LPT\u00b2", "LPT\u00b3");

    private final Map<String, String> weightMap;
    private final long totalSize;

    public ShardIndex(Map<String, String> weightMap, long totalSize) {
        this(totalSize, Collections.unmodifiableMap(new LinkedHashMap<>(weightMap)));
    }

    /** For {@link #read}, which builds a private map: copying up to a million entries again is not free. */
    private ShardIndex(long totalSize, Map<String, String> ownedWeightMap) {
        this.weightMap = ownedWeightMap;
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
        String where = Untrusted.path(file);
        long size = Untrusted.regularFile(file, where, "point MergeLab at the model's index .json file").size();
        if (size > MAX_INDEX_BYTES) {
            throw MergeLabException.input(where + ": index larger than 64 MiB", "this is not a real shard index");
        }
        Map<String, String> map = null;
        long total = -1;
        try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw MergeLabException.input(where + ": shard index is not a JSON object", HINT);
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                String key = p.currentName();
                JsonToken v = p.nextToken();
                if (key.equals("weight_map") && v == JsonToken.START_OBJECT) {
                    map = readWeightMap(p, where);
                } else if (key.equals("metadata") && v == JsonToken.START_OBJECT) {
                    total = readTotalSize(p);
                } else {
                    p.skipChildren(); // other fields (and a non-object weight_map, reported below) are ignored
                }
            }
            // ObjectMapper.readTree used to accept anything after the object; an index is one JSON value.
            if (p.nextToken() != null) {
                throw MergeLabException.input(where + ": unexpected data after the shard index object", HINT);
            }
        } catch (MergeLabException e) {
            throw e;
        } catch (IOException e) {
            // Syntax errors, StreamReadConstraints and Jackson's symbol-table flood guard land here.
            throw MergeLabException.input(where + ": not a valid JSON shard index: " + Untrusted.firstLine(e.getMessage()), HINT);
        } catch (RuntimeException e) {
            // Not expected (the tests assert it); an index we cannot parse is still bad input, so one line.
            throw new MergeLabException(MergeLabException.Kind.INPUT, where + ": shard index could not be parsed ("
                    + e.getClass().getSimpleName() + ")", HINT, e);
        }
        if (map == null) {
            throw MergeLabException.input(where + ": shard index has no weight_map object", HINT);
        }
        return new ShardIndex(total, Collections.unmodifiableMap(map));
    }

    private static Map<String, String> readWeightMap(JsonParser p, String where) throws IOException {
        Map<String, String> map = new LinkedHashMap<>();
        Map<String, String> shardNames = new HashMap<>(); // one String per distinct shard, not per entry
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String tensor = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw MergeLabException.input(entry(where, tensor) + " is not a file name", HINT);
            }
            if (map.size() >= MAX_ENTRIES) {
                throw MergeLabException.input(where + ": weight_map has more than " + MAX_ENTRIES + " entries",
                        "this is not a real shard index");
            }
            String text = p.getText();
            String shard = shardNames.get(text);
            if (shard == null) {
                shard = text;
                checkPlainFileName(shard, () -> entry(where, tensor));
                if (shardNames.size() >= MAX_SHARDS) {
                    throw MergeLabException.input(where + ": weight_map names more than " + MAX_SHARDS + " shard files",
                            "this is not a real shard index");
                }
                shardNames.put(shard, shard);
            }
            map.put(tensor, shard);
        }
        return map;
    }

    /** Names an entry in messages; built only when needed, as escaping costs far more than reading an entry. */
    private static String entry(String where, String tensor) {
        return where + ": weight_map entry '" + Untrusted.show(tensor) + "'";
    }

    /** {@code metadata.total_size}, or -1 when absent or not a number (it is informational only). */
    private static long readTotalSize(JsonParser p) throws IOException {
        long total = -1;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            if (key.equals("total_size") && v == JsonToken.VALUE_NUMBER_INT
                    && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                total = p.getLongValue();
            } else if (key.equals("total_size") && v == JsonToken.VALUE_NUMBER_FLOAT) {
                total = (long) p.getDoubleValue();
            } else {
                p.skipChildren();
            }
        }
        return total;
    }

    /**
     * Refuses names that could leave the folder (separators, "..", absolute or drive paths) and names that
     * are not ordinary files anywhere MergeLab runs: empty, all dots, control characters (NUL truncates
     * paths in native code, newlines forge log lines) and Windows device names such as {@code CON} or
     * {@code NUL.safetensors}.
     */
    public static void checkPlainFileName(String name, String what) {
        checkPlainFileName(name, () -> what);
    }

    /** As above, building the message only on failure (read() checks up to {@link #MAX_SHARDS} names). */
    private static void checkPlainFileName(String name, Supplier<String> what) {
        boolean onlyDots = true;
        boolean separator = false;
        boolean control = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            onlyDots &= c == '.';
            separator |= c == '/' || c == '\\' || c == ':';
            control |= c < 0x20 || c == 0x7f;
        }
        if (onlyDots || separator) { // onlyDots also covers the empty name
            throw MergeLabException.input(what.get() + " points outside the model folder ('" + Untrusted.show(name) + "')",
                    "refusing a path that could escape the folder; the index must name files beside it");
        }
        int dot = name.indexOf('.');
        int baseLength = dot < 0 ? name.length() : dot;
        // Device names are at most 7 characters (CONOUT$) plus trailing spaces Windows ignores.
        boolean device = baseLength <= 16
                && WINDOWS_DEVICES.contains(name.substring(0, baseLength).stripTrailing().toUpperCase(Locale.ROOT));
        if (control || device) {
            throw MergeLabException.input(what.get() + " is not a plain file name ('" + Untrusted.show(name) + "')",
                    "refusing control characters and device names; the index must name ordinary files beside it");
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
}
