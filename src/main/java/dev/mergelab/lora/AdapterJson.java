package dev.mergelab.lora;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mergelab.MergeLabException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * JSON for adapter folders, which come from the internet: size-capped reads, bounded nesting and string
 * lengths, duplicate keys refused (two readers must not disagree about which value wins), and one-line
 * errors. Also the writer for the configs and reports MergeLab produces.
 */
final class AdapterJson {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(32).maxStringLength(1 << 20).maxNumberLength(64).maxNameLength(1 << 16).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static final ObjectMapper MAPPER = new ObjectMapper(FACTORY).enable(SerializationFeature.INDENT_OUTPUT);

    private AdapterJson() {
    }

    static JsonNode read(Path file, long maxBytes, String what) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) {
                throw MergeLabException.input(what + " " + file + " is missing",
                        "a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors");
            }
            if (Files.size(file) > maxBytes) {
                throw MergeLabException.input(what + " " + file + " is over " + maxBytes + " bytes", "this is not a real " + what);
            }
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes((int) maxBytes + 1);
            }
            if (bytes.length > maxBytes) {
                throw MergeLabException.input(what + " " + file + " grew past " + maxBytes + " bytes while read", null);
            }
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + what + " " + file + ": " + e.getMessage(), null);
        }
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw MergeLabException.input(what + " " + file + " is empty", "expected a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            int nl = m.indexOf('\n');
            throw MergeLabException.input(what + " " + file + " is not valid JSON: " + show(nl >= 0 ? m.substring(0, nl) : m),
                    "repair or re-download the adapter");
        } catch (IOException e) {
            throw MergeLabException.input("cannot read " + what + " " + file + ": " + e.getMessage(), null);
        }
    }

    /** Text from a file, made safe for a one-line message: control characters replaced, length capped. */
    static String show(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(120).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return s.length() > 120 ? b + "..." : b.toString();
    }
}
