package dev.mergelab.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.mergelab.MergeLabException;
import dev.mergelab.fuzz.FuzzProperty;
import dev.mergelab.fuzz.FuzzSeeds;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Coverage-guided fuzzing of {@link Recipe#parse(Path)} (UTF-8 decoding, SnakeYAML composition under its
 * limits, the schema walk). An accepted recipe must also give its layout (or an INPUT error), and its
 * canonical YAML must parse back to the same canonical YAML. Seeds: {@code src/test/resources/fuzz/recipe/}.
 */
class RecipeFuzzTest {

    private static final Path DIR = FuzzProperty.scratch("mergelab-fuzz-recipe-");

    @FuzzTest(maxDuration = "5m")
    void recipe(byte[] data) throws Exception {
        Path f = DIR.resolve("recipe.yml");
        Files.write(f, data);
        FuzzProperty.acceptedOrInputError(f.toString(), data.length, () -> exercise(Recipe.parse(f)));
    }

    static void exercise(Recipe r) {
        try {
            r.layout();
        } catch (MergeLabException e) {
            FuzzProperty.checkInputError(e, r.source());
        }
        String yaml = r.toYaml();
        Recipe again = Recipe.parse(yaml, "canonical form of " + r.source());
        assertEquals(yaml, again.toYaml(), "canonical YAML is not a fixed point");
        assertEquals(64, r.textSha256().length());
    }

    @Test
    void seedsCoverBothOutcomes() throws Exception {
        int accepted = 0;
        int refused = 0;
        for (Path seed : FuzzSeeds.of("recipe")) {
            boolean ok = FuzzProperty.acceptedOrInputError(seed.toString(), Files.size(seed), () -> exercise(Recipe.parse(seed)));
            String name = seed.getFileName().toString();
            if (name.startsWith("valid-")) {
                assertTrue(ok, name);
            } else if (name.startsWith("invalid-")) {
                assertFalse(ok, name);
            }
            accepted += ok ? 1 : 0;
            refused += ok ? 0 : 1;
        }
        assertTrue(accepted >= 5 && refused >= 3, accepted + " accepted, " + refused + " refused");
    }
}
