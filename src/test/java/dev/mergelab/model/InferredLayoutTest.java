package dev.mergelab.model;

import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InferredLayoutTest {

    private static final List<String> NAMES = List.of(
            "backbone.tok_emb.weight",
            "backbone.pos_emb.weight",
            "backbone.blocks.0.attn.wqkv.weight",
            "backbone.blocks.0.ffn.experts.3.w.weight",
            "backbone.blocks.1.attn.wqkv.weight",
            "backbone.blocks.1.ffn.experts.3.w.weight",
            "backbone.blocks.1.extra.scale",
            "vision.enc.2.proj.weight",
            "backbone.final_norm.weight",
            "head.output.weight",
            "backbone.rope_cache");

    @Test
    void layersComeFromTheContainerIndex() {
        Architecture a = InferredLayout.infer(NAMES, "test");
        assertTrue(a.isInferred());
        assertTrue(a.describe().contains("inferred") && a.describe().contains("backbone.blocks."));
        assertEquals(2, a.inferredLayerCount());
        WeightInfo moe = a.classify("backbone.blocks.1.ffn.experts.3.w.weight").orElseThrow();
        assertEquals(Section.LAYER, moe.section());
        assertEquals(1, moe.layerIndex());
        assertEquals("backbone.blocks.0.ffn.experts.3.w.weight",
                a.renameToLayer("backbone.blocks.1.ffn.experts.3.w.weight", 0));
        assertTrue(a.classify("backbone.blocks.1.extra.scale").orElseThrow().optional(), "only in layer 1");
        assertFalse(a.classify("backbone.blocks.0.attn.wqkv.weight").orElseThrow().optional());
    }

    @Test
    void preAndPostByName() {
        Architecture a = InferredLayout.infer(NAMES, "test");
        WeightInfo tok = a.classify("backbone.tok_emb.weight").orElseThrow();
        assertEquals(Section.PRE, tok.section());
        assertTrue(tok.isEmbed());
        WeightInfo pos = a.classify("backbone.pos_emb.weight").orElseThrow();
        assertEquals(Section.PRE, pos.section());
        assertFalse(pos.isEmbed(), "positions are not vocabulary-sized");
        WeightInfo head = a.classify("head.output.weight").orElseThrow();
        assertEquals(Section.POST, head.section());
        assertTrue(head.isEmbed());
        assertEquals(List.of("backbone.tok_emb.weight"), head.tiedNames());
        assertEquals(Section.POST, a.classify("backbone.final_norm.weight").orElseThrow().section());
        assertEquals(Section.PRE, a.classify("vision.enc.2.proj.weight").orElseThrow().section(), "other stack");
        assertEquals(Section.POST, a.classify("backbone.rope_cache").orElseThrow().section(), "after layers");
        assertEquals(-1, head.layerIndex());
    }

    @Test
    void expectedNamesScaleToOtherLayerCounts() {
        Architecture a = InferredLayout.infer(NAMES, "test");
        List<String> four = a.expectedNames(4, 0);
        assertTrue(four.contains("backbone.blocks.3.attn.wqkv.weight"));
        assertEquals("backbone.tok_emb.weight", four.getFirst());
    }

    @Test
    void genericFirstIndexWithoutKnownContainer() {
        Architecture a = InferredLayout.infer(List.of("m.embed.weight", "m.stage.0.w", "m.stage.1.w",
                "m.stage.2.w", "lm_head.weight"), "test");
        assertEquals(3, a.inferredLayerCount());
        assertEquals(2, a.classify("m.stage.2.w").orElseThrow().layerIndex());
        assertEquals(List.of("m.embed.weight"), a.tiedNames("lm_head.weight"));
    }

    @Test
    void unknownFamilyFallsBackToInference() {
        ModelConfig cfg = ModelConfig.parse("{\"architectures\":[\"NovelForCausalLM\"],\"num_hidden_layers\":2}",
                "novel/config.json");
        Architecture a = Architectures.builtIn().forModel(cfg, NAMES);
        assertTrue(a.isInferred());
        assertTrue(a.describe().contains("NovelForCausalLM"));
        assertEquals(2, a.layerCount(cfg));
    }

    @Test
    void hostileNamesAreRefused() {
        assertThrows(MergeLabException.class, () -> InferredLayout.infer(List.of("a.${layer_index}.b"), "t"));
    }
}
