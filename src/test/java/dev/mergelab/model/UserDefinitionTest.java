package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Definitions supplied by users are parsed strictly and take precedence over built-ins. */
class UserDefinitionTest {

    @TempDir
    Path dir;

    private static final String TINY = """
            {"name":"tiny","architectures":["TinyForCausalLM","LlamaForCausalLM"],"model_types":["tiny"],
             "layer_count_key":"n_blocks",
             "pre_weights":[{"name":"emb.weight","is_embed":true}],
             "layer_weights":[{"name":"blocks.${layer_index}.w"}],
             "post_weights":[{"name":"head.weight","is_embed":true,"optional":true,"tied_names":["emb.weight"]}]}
            """;

    @Test
    void loadsAndWinsOverBuiltIns() throws Exception {
        Path f = Files.writeString(dir.resolve("tiny.json"), TINY);
        ArchitectureDefinition def = ArchitectureDefinition.load(f);
        Architectures reg = Architectures.builtIn().with(def);
        ModelConfig cfg = ModelConfig.parse("{\"architectures\":[\"LlamaForCausalLM\"],\"n_blocks\":3}", "c");
        Architecture a = reg.forModel(cfg, List.of());
        assertEquals("tiny", a.name());
        assertEquals(3, a.layerCount(cfg));
        assertEquals(List.of("emb.weight", "blocks.0.w", "blocks.1.w", "blocks.2.w", "head.weight"),
                a.expectedNames(3, 0));
    }

    @Test
    void mistakesAreReportedWithTheFileName() throws Exception {
        String[] broken = {
                TINY.replace("\"layer_count_key\"", "\"layer_count\""),
                TINY.replace("blocks.${layer_index}.w", "blocks.w"),
                TINY.replace("blocks.${layer_index}.w", "blocks.${layer_index}.${expert_index}.w"),
                TINY.replace("blocks.${layer_index}.w", "blocks.${layer_index}.${layer}.w"),
                TINY.replace("\"head.weight\"", "\"emb.weight\""),
                TINY.replace("\"is_embed\":true}", "\"is_embed\":\"yes\"}"),
                TINY.replace("\"name\":\"tiny\",", ""),
                "[]",
        };
        for (String text : broken) {
            Path f = Files.writeString(dir.resolve("bad.json"), text);
            var e = assertThrows(MergeLabException.class, () -> ArchitectureDefinition.load(f), text);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }
}
