package dev.mergelab.model.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Which Hugging Face architecture a GGUF file becomes on import, read from {@code import.json} beside the
 * architecture files: its class name, model_type and any config keys GGUF does not store. Only architectures that
 * have both a row there and a {@link GgufArchitecture} (the tensor and hyper-parameter maps read backwards) import.
 *
 * @param keys             optional GGUF keys (after {@code <arch>.}) read into config names, with llama.cpp's default
 *     when absent: {@code {"key", "to", "type": "f32"|"u32", "default"}}
 * @param queryScale27bBlocks when positive, the config gets query_pre_attn_scalar as llama.cpp scales queries (it
 *     does not store the scalar): head_dim, or hidden/heads at this block count (its "27B" type); 0: not written
 * @param oneRowMatrices   HF tensor names (by suffix) that are [1, n] in Transformers and may be stored as [n]
 * @param partialRotary    whether partial_rotary_factor is rebuilt from rope.dimension_count (Phi-3)
 */
record HfIdentity(GgufArchitecture spec, String architecture, String modelType, ObjectNode extraConfig, List<JsonNode> keys,
        int queryScale27bBlocks, List<String> oneRowMatrices, boolean partialRotary) {

    private static final JsonNode TABLE = load();

    /** The identity of a file of GGUF architecture {@code arch}; a one-line error naming the supported ones. */
    static HfIdentity of(String arch, boolean experts, String where) {
        GgufArchitecture spec = specFor(arch);
        JsonNode rows = TABLE.get(arch);
        if (spec != null && rows != null && rows.isArray()) {
            for (JsonNode row : rows) {
                if (row.path("when_experts").asBoolean(false) && !experts) {
                    continue;
                }
                ObjectNode extra = row.get("config") instanceof ObjectNode o ? o.deepCopy() : new ObjectMapper().createObjectNode();
                List<JsonNode> keys = new ArrayList<>();
                row.path("keys").forEach(keys::add);
                List<String> oneRow = new ArrayList<>();
                row.path("one_row_matrices").forEach(n -> oneRow.add(n.asText()));
                return new HfIdentity(spec, row.get("architecture").asText(), row.get("model_type").asText(), extra, List.copyOf(keys),
                        row.path("query_pre_attn_scalar_27b_blocks").asInt(0), List.copyOf(oneRow), row.path("partial_rotary").asBoolean(false));
            }
        }
        throw MergeLabException.input(where + ": GGUF architecture '" + arch + "' has no mapping back to a Hugging Face model"
                + " (supported: " + String.join(", ", supported()) + ")", "export the model from its Hugging Face folder instead");
    }

    /** The GGUF architecture names that import, in the table's order. */
    static List<String> supported() {
        List<String> out = new ArrayList<>();
        TABLE.properties().forEach(e -> {
            if (e.getValue().isArray() && specFor(e.getKey()) != null) {
                out.add(e.getKey());
            }
        });
        return out;
    }

    private static GgufArchitecture specFor(String arch) {
        for (GgufArchitecture g : GgufArchitecture.builtIns()) {
            if (g.ggufName().equals(arch)) {
                return g;
            }
        }
        return null;
    }

    private static JsonNode load() {
        try (InputStream in = HfIdentity.class.getResourceAsStream("/dev/mergelab/model/gguf/import.json")) {
            if (in == null) {
                throw new IllegalStateException("missing resource dev/mergelab/model/gguf/import.json");
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read dev/mergelab/model/gguf/import.json", e);
        }
    }
}
