package dev.mergelab.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The JSON form of the lab's reports, rendered here so the CLI and a web view print the same thing. */
final class LabJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private LabJson() {
    }

    /** Indented, as {@code --json} prints it. */
    static String pretty(JsonNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a report tree always serialises", e);
        }
    }
}
