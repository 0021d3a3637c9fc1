package dev.mergelab.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The ids that end generation, as transformers' {@code GenerationConfig} finds them: {@code eos_token_id} (a
 * number or a list) of generation_config.json, else of config.json.
 */
public final class EosIds {

    private static final long MAX_BYTES = 16L << 20;

    private EosIds() {
    }

    /** The EOS ids of the model in {@code folder} (empty when neither file names any). */
    public static Set<Integer> of(Path folder) {
        for (String name : new String[] {"generation_config.json", "config.json"}) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) {
                JsonNode eos = read(file).get("eos_token_id");
                if (eos != null && !eos.isNull()) {
                    return parse(eos, file);
                }
            }
        }
        return Set.of();
    }

    private static Set<Integer> parse(JsonNode eos, Path file) {
        Set<Integer> out = new LinkedHashSet<>();
        for (JsonNode id : eos.isArray() ? eos : java.util.List.of(eos)) {
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw MergeLabException.input(file + ": eos_token_id must be a token id or a list of them, got " + eos, null);
            }
            out.add(id.intValue());
        }
        return out;
    }

    private static JsonNode read(Path file) {
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw MergeLabException.input(file + " is over " + MAX_BYTES + " bytes", null);
            }
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw MergeLabException.input(file + " is not a JSON object", null);
            }
            return root;
        } catch (IOException e) {
            throw MergeLabException.input(file + " is not valid JSON: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), null);
        }
    }
}
