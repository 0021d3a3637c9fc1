package dev.mergelab.recipe;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Loads the example recipes under {@code src/test/resources/recipes}. */
final class Recipes {
    static final String[] EXAMPLES = {"linear", "ties", "gradient_slerp", "passthrough", "dare_ties", "model_stock",
            "della", "breadcrumbs", "nuslerp", "multislerp", "modules"};

    private Recipes() {}

    static String text(String name) {
        try (InputStream in = Recipes.class.getResourceAsStream("/recipes/" + name + ".yml")) {
            if (in == null) {
                throw new IllegalArgumentException("no example recipe " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Recipe load(String name) {
        return Recipe.parse(text(name), name + ".yml");
    }

    static Recipe parse(String text) {
        return Recipe.parse(text, "recipe.yml");
    }
}
