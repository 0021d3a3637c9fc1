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
 */
record HfIdentity(GgufArchitecture spec, String architecture, String modelType, ObjectNode extraConfig) {

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
                return new HfIdentity(spec, row.get("architecture").asText(), row.get("model_type").asText(), extra);
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
