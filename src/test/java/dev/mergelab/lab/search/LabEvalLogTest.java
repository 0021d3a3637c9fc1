package dev.mergelab.lab.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.mergelab.lab.registry.Registry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Evaluations kept in the lab come back bit for bit (genotypes must compare equal on replay); NaN as null. */
class LabEvalLogTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsThroughTheLab() {
        double[] genotype = {1.0 / 3, -0.1 + 0.2, Math.PI * 1e-300, Double.MIN_VALUE, -0.0, 123456789.123456789};
        EvalRecord a = new EvalRecord(0, 0, genotype, "merge_method: linear\n", null, new double[] {0.25, Double.NaN}, -0.25, 1.5, 2.5);
        EvalRecord b = new EvalRecord(1, 1, new double[] {0.7, 0.1, 0, 1, 2, 3}, "merge_method: ties\n", null, new double[] {0.5, 1},
                -0.5, 0.5, 0.25);
        Registry.init(dir.resolve("lab")).close();
        try (Registry r = Registry.open(dir.resolve("lab"), 1000)) {
            r.searchLog().createOrFind("s1", "search", JsonNodeFactory.instance.objectNode(), JsonNodeFactory.instance.arrayNode(), 0,
                    dir.resolve("out"));
            LabEvalLog log = new LabEvalLog(r.searchLog(), "s1");
            log.append(a);
            log.append(b);
            List<EvalRecord> back = new LabEvalLog(r.searchLog(), "s1").recorded();
            assertEquals(List.of(a, b), back);
            assertTrue(Double.isNaN(back.getFirst().values()[1]));
            assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(back.getFirst().genotype()[4]));
            assertEquals(List.of(), new LabEvalLog(r.searchLog(), "other").recorded());
        }
    }
}
