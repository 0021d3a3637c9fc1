package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * One run of a command that wrote a candidate, as the registry records it: where the output is, which command and
 * method made it, from what recipe (canonical text and its SHA-256), with which method-wide parameters, from which
 * parents, when and how long it took. Built by {@link Provenance}.
 *
 * @param recipe     the canonical recipe (or the command line, for commands without a recipe); may be null
 * @param parameters method-wide resolved parameters and run options (JSON object), may be null
 */
public record RunRecord(Path output, String command, String method, String recipe, String recipeSha256, JsonNode parameters,
        List<Parent> parents, Instant started, double seconds) {

    public RunRecord {
        parents = List.copyOf(parents);
    }

    /**
     * A parent of the output and how it contributed.
     *
     * @param relation   {@value Relation#MERGE}, {@value Relation#ADAPTER}, {@value Relation#FINETUNE} or {@value Relation#QUANTIZED}
     * @param method     the merge method on merge edges, else null
     * @param parameters that parent's resolved per-model parameters on merge edges (JSON object), else null
     * @param isBase     true for the base model of a task-vector merge
     */
    public record Parent(Path path, String relation, String method, JsonNode parameters, boolean isBase) {
    }
}
