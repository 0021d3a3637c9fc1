package dev.mergelab.lab.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Instant;

/** A recorded run that wrote a candidate (see {@link RunRecord} for the fields). */
public record Run(long number, String candidate, String command, String method, String recipe, String recipeSha256,
        JsonNode parameters, String toolVersion, String host, Instant started, double seconds, Path outPath) {
}
