package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Front matter as the Hugging Face Hub reads it: Hub ids in base_model, one of its four relations. */
class ModelCardTest {

    static String front(String card) {
        assertTrue(card.startsWith("---\n"), card);
        return card.substring(0, card.indexOf("\n---\n", 4) + 5);
    }

    @Test
    void hubParentsAreTheBaseModelsWithTheBaseFirstAndRevisionsDropped() {
        String card = ModelCard.merge("m", List.of("org/ft1@v2", "org/base", "org/ft1"), "org/base", "ties", "TIES", "https://x",
                "merge_method: ties", Map.of(), "1");
        assertTrue(front(card).startsWith("---\nbase_model:\n- org/base\n- org/ft1\nbase_model_relation: merge\n"), card);
        assertTrue(card.contains("## Parents\n\n- org/base (base)\n- org/ft1@v2\n- org/ft1\n"), card);
        assertTrue(card.contains("`ties`: [TIES](https://x)\n"), card);
    }

    @Test
    void localPathsAreNotHubIdsSoTheyStayOutOfTheFrontMatter() {
        String card = ModelCard.merge("m", List.of("/models/a", "/models/b"), null, "nearswap", "", "", "x", Map.of(), "1");
        assertFalse(front(card).contains("base_model"), card);
        assertTrue(card.contains("- /models/a\n- /models/b\n"), card);
        assertTrue(card.contains("`nearswap`\n"), card);
    }

    @Test
    void aBaseWithAnAdapterMergedInIsAFineTuneOfTheBase() {
        String card = ModelCard.merge("m", List.of("org/base+org/lora"), null, "passthrough", "", "", "x", Map.of(), "1");
        assertTrue(front(card).contains("base_model:\n- org/base\nbase_model_relation: finetune\n"), card);
    }

    @Test
    void adaptersNameTheirBaseWithTheAdapterRelation() {
        String card = ModelCard.adapter("a", "org/base", "Made.", List.of("x (fine-tune)"), "sh", "mergelab lora extract", "1");
        assertTrue(front(card).contains("base_model:\n- org/base\nbase_model_relation: adapter\nlibrary_name: peft\n"), card);
    }
}
