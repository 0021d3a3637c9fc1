package dev.mergelab.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every built-in definition loads, and produces real tensor names for a two-layer model. */
class ArchitectureDefinitionsTest {

    record Family(String name, int experts, List<String> mustContain, String embed, String head) {
    }

    static Stream<Family> families() {
        return Stream.of(
                new Family("llama", 0, List.of("model.layers.1.self_attn.q_proj.weight",
                        "model.layers.0.mlp.gate_proj.weight", "model.layers.1.post_attention_layernorm.weight",
                        "model.norm.weight"), "model.embed_tokens.weight", "lm_head.weight"),
                new Family("mistral", 0, List.of("model.layers.1.mlp.down_proj.weight",
                        "model.layers.0.input_layernorm.weight"), "model.embed_tokens.weight", "lm_head.weight"),
                new Family("qwen2", 0, List.of("model.layers.1.self_attn.q_proj.bias",
                        "model.layers.0.self_attn.v_proj.bias"), "model.embed_tokens.weight", "lm_head.weight"),
                new Family("qwen3", 0, List.of("model.layers.1.self_attn.q_norm.weight",
                        "model.layers.0.self_attn.k_norm.weight"), "model.embed_tokens.weight", "lm_head.weight"),
                new Family("gemma", 0, List.of("model.layers.1.mlp.up_proj.weight"),
                        "model.embed_tokens.weight", "lm_head.weight"),
                new Family("gemma2", 0, List.of("model.layers.1.pre_feedforward_layernorm.weight",
                        "model.layers.0.post_feedforward_layernorm.weight"), "model.embed_tokens.weight",
                        "lm_head.weight"),
                new Family("gemma3", 0, List.of("model.layers.1.self_attn.q_norm.weight",
                        "model.layers.1.post_feedforward_layernorm.weight"), "model.embed_tokens.weight",
                        "lm_head.weight"),
                new Family("gemma3_multimodal", 0, List.of(
                        "language_model.model.layers.1.self_attn.k_norm.weight",
                        "language_model.model.norm.weight"), "language_model.model.embed_tokens.weight",
                        "language_model.lm_head.weight"),
                new Family("phi3", 0, List.of("model.layers.1.self_attn.qkv_proj.weight",
                        "model.layers.0.mlp.gate_up_proj.weight", "model.layers.1.mlp.down_proj.weight"),
                        "model.embed_tokens.weight", "lm_head.weight"),
                new Family("gpt2", 0, List.of("transformer.h.1.attn.c_attn.weight", "transformer.h.0.mlp.c_fc.bias",
                        "transformer.wpe.weight", "transformer.ln_f.weight"), "transformer.wte.weight",
                        "lm_head.weight"),
                new Family("gpt_neox", 0, List.of("gpt_neox.layers.1.attention.query_key_value.weight",
                        "gpt_neox.layers.0.mlp.dense_4h_to_h.bias", "gpt_neox.final_layer_norm.weight"),
                        "gpt_neox.embed_in.weight", "embed_out.weight"),
                new Family("mixtral", 8, List.of("model.layers.1.block_sparse_moe.gate.weight",
                        "model.layers.1.block_sparse_moe.experts.7.w3.weight",
                        "model.layers.0.block_sparse_moe.experts.0.w1.weight"),
                        "model.embed_tokens.weight", "lm_head.weight"),
                new Family("olmo2", 0, List.of("model.layers.1.self_attn.q_norm.weight",
                        "model.layers.0.post_feedforward_layernorm.weight"), "model.embed_tokens.weight", "lm_head.weight"),
                new Family("granite", 0, List.of("model.layers.1.mlp.down_proj.weight",
                        "model.layers.0.input_layernorm.weight"), "model.embed_tokens.weight", "lm_head.weight"),
                new Family("qwen2_moe", 4, List.of("model.layers.1.mlp.experts.3.up_proj.weight",
                        "model.layers.0.mlp.shared_expert_gate.weight", "model.layers.1.mlp.gate.weight"),
                        "model.embed_tokens.weight", "lm_head.weight"),
                new Family("qwen3_moe", 4, List.of("model.layers.1.mlp.experts.3.down_proj.weight",
                        "model.layers.0.self_attn.k_norm.weight"), "model.embed_tokens.weight", "lm_head.weight"));
    }

    @Test
    void everyIndexedDefinitionLoads() {
        assertEquals(16, Architectures.builtIn().definitions().size());
        Family[] all = families().toArray(Family[]::new);
        for (Family f : all) {
            assertTrue(Architectures.builtIn().byName(f.name()).isPresent(), f.name());
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void twoLayerNames(Family f) {
        Architecture arch = Architecture.of(Architectures.builtIn().byName(f.name()).orElseThrow());
        List<WeightInfo> weights = arch.expectedWeights(2, f.experts());
        List<String> names = weights.stream().map(WeightInfo::name).toList();
        assertEquals(names.size(), new HashSet<>(names).size(), "names are unique");
        for (String n : f.mustContain()) {
            assertTrue(names.contains(n), f.name() + " lacks " + n);
        }
        assertFalse(names.stream().anyMatch(n -> n.contains("${") || n.matches(".*(layers|h)\\.2\\..*")), "only layers 0-1");
        assertEquals(f.embed(), names.getFirst());

        WeightInfo embed = arch.classify(f.embed()).orElseThrow();
        assertEquals(Section.PRE, embed.section());
        assertTrue(embed.isEmbed());
        WeightInfo head = arch.classify(f.head()).orElseThrow();
        assertEquals(Section.POST, head.section());
        assertTrue(head.isEmbed() && head.optional());
        assertEquals(List.of(f.embed()), arch.tiedNames(f.head()));

        String layerName = f.mustContain().getFirst();
        WeightInfo li = arch.classify(layerName).orElseThrow();
        assertEquals(Section.LAYER, li.section());
        assertEquals(layerName.contains(".1.") ? 1 : 0, li.layerIndex());
        assertFalse(li.isEmbed());
        assertEquals(-1, embed.layerIndex());
    }

    @Test
    void renameMovesOnlyTheLayerIndex() {
        Architecture llama = Architecture.of(Architectures.builtIn().byName("llama").orElseThrow());
        assertEquals("model.layers.2.mlp.up_proj.weight", llama.renameToLayer("model.layers.5.mlp.up_proj.weight", 2));
        Architecture mixtral = Architecture.of(Architectures.builtIn().byName("mixtral").orElseThrow());
        String moved = mixtral.renameToLayer("model.layers.31.block_sparse_moe.experts.5.w2.weight", 3);
        assertEquals("model.layers.3.block_sparse_moe.experts.5.w2.weight", moved);
        WeightInfo w = mixtral.classify(moved).orElseThrow();
        assertEquals(3, w.layerIndex());
        assertEquals(5, w.expertIndex());
    }

    @Test
    void leadingZerosAndStrangersAreNotLayers() {
        Architecture llama = Architecture.of(Architectures.builtIn().byName("llama").orElseThrow());
        assertTrue(llama.classify("model.layers.05.mlp.up_proj.weight").isEmpty());
        assertTrue(llama.classify("model.layers.1.mlp.up_proj.weightx").isEmpty());
        assertTrue(llama.classify("model.layers.99999999999.mlp.up_proj.weight").isEmpty());
    }

    @Test
    void optionalBiasesAndMissingRequired() {
        Architecture llama = Architecture.of(Architectures.builtIn().byName("llama").orElseThrow());
        List<WeightInfo> expected = llama.expectedWeights(1, 0);
        var required = new HashSet<String>();
        expected.stream().filter(w -> !w.optional()).forEach(w -> required.add(w.name()));
        assertTrue(llama.missingRequired(required, 1, 0).isEmpty(), "tied head absent is fine");
        required.remove("model.layers.0.mlp.up_proj.weight");
        assertEquals(List.of("model.layers.0.mlp.up_proj.weight"), llama.missingRequired(required, 1, 0));
        assertTrue(llama.classify("model.layers.0.self_attn.q_proj.bias").orElseThrow().optional());
    }

    @Test
    void gpt2NamingVariantIsChosenFromTensorNames() {
        ModelConfig cfg = ModelConfig.parse("{\"architectures\":[\"GPT2LMHeadModel\"],\"model_type\":\"gpt2\","
                + "\"n_layer\":2}", "gpt2/config.json");
        Architecture bare = Architectures.builtIn().forModel(cfg,
                List.of("wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.1.attn.c_attn.weight", "ln_f.weight"));
        assertFalse(bare.isInferred());
        assertEquals(2, bare.layerCount(cfg));
        assertEquals("h.0.ln_1.weight", bare.expectedNames(2, 0).get(2));
        assertEquals(List.of("wte.weight"), bare.tiedNames("lm_head.weight"));
        Architecture prefixed = Architectures.builtIn().forModel(cfg, List.of("transformer.wte.weight"));
        assertEquals("transformer.wte.weight", prefixed.expectedNames(2, 0).getFirst());
    }

    @Test
    void gemma3MultimodalVariantsAndAuxiliaryTower() {
        String json = "{\"architectures\":[\"Gemma3ForConditionalGeneration\"],\"model_type\":\"gemma3\","
                + "\"text_config\":{\"model_type\":\"gemma3_text\",\"num_hidden_layers\":34,\"hidden_size\":2560}}";
        ModelConfig cfg = ModelConfig.parse(json, "g3/config.json");
        Architecture hub = Architectures.builtIn().forModel(cfg, List.of(
                "language_model.model.embed_tokens.weight", "language_model.model.layers.0.mlp.up_proj.weight",
                "vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"));
        assertEquals(34, hub.layerCount(cfg));
        assertTrue(hub.isAuxiliary("vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight"));
        Architecture modern = Architectures.builtIn().forModel(cfg, List.of(
                "model.language_model.embed_tokens.weight", "model.language_model.layers.0.mlp.up_proj.weight",
                "model.vision_tower.vision_model.post_layernorm.weight"));
        assertEquals("model.language_model.layers.3.mlp.up_proj.weight",
                modern.renameToLayer("model.language_model.layers.0.mlp.up_proj.weight", 3));
        assertEquals(List.of("model.language_model.embed_tokens.weight"), modern.tiedNames("lm_head.weight"));
        assertTrue(modern.isAuxiliary("model.vision_tower.vision_model.post_layernorm.weight"));
        assertEquals(262208, cfg.vocabSize().orElseThrow(), "family default when the config omits it");
    }

    @Test
    void matchByArchitectureThenModelType() {
        var reg = Architectures.builtIn();
        assertEquals("mistral", reg.match(ModelConfig.parse("{\"architectures\":[\"MistralForCausalLM\"]}", "c"))
                .orElseThrow().name());
        assertEquals("qwen3", reg.match(ModelConfig.parse("{\"model_type\":\"qwen3\"}", "c")).orElseThrow().name());
        assertEquals("gemma3", reg.match(ModelConfig.parse("{\"model_type\":\"gemma3_text\"}", "c"))
                .orElseThrow().name());
        assertTrue(reg.match(ModelConfig.parse("{\"architectures\":[\"FooForCausalLM\"]}", "c")).isEmpty());
    }
}
