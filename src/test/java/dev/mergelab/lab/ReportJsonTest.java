package dev.mergelab.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mergelab.model.ModelSource;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lab's reports render their own JSON (what inspect --json and compat --json print), without the CLI. */
class ReportJsonTest {

    @TempDir
    Path tmp;

    @Test
    void factsAndCompatReportsRenderTheirNumbers() throws Exception {
        Path fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withFineTunes(2), fam, 2);
        try (ModelSource base = ModelSource.open(fam.resolve("base"), "base");
             ModelSource a = ModelSource.open(fam.resolve("ft1"), "ft1"); ModelSource b = ModelSource.open(fam.resolve("ft2"), "ft2")) {
            ModelFacts f = ModelFacts.of(a);
            JsonNode facts = new ObjectMapper().readTree(f.toJson());
            assertEquals(f.numParameters(), facts.get("num_parameters").asLong());
            assertEquals(a.tensors().size(), facts.get("tensors").size());
            assertEquals(f.architecture().name(), facts.get("architecture").asText());

            CompatReport r = Compat.check(java.util.List.of(a, b), base, 2);
            JsonNode compat = new ObjectMapper().readTree(r.toJson());
            assertEquals(r.verdict(), compat.get("verdict").asText());
            assertEquals(r.layers().size(), compat.get("layers").size());
            assertEquals(r.total().cosine(0, 1), compat.get("total").get("pairs").get(0).get("cosine").asDouble());
        }
    }
}
