package dev.mergelab.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The architecture JSON's {@code forward} section is parsed strictly: a typo must not silently change a model. */
class ForwardSpecTest {

    private static final String HEAD = "{\"name\": \"x\", \"layer_count_key\": \"num_hidden_layers\", "
            + "\"pre_weights\": [{\"name\": \"model.embed_tokens.weight\"}], ";
    private static final String TENSORS = "\"tensors\": {\"embed\": \"model.embed_tokens.weight\", \"final_norm\": \"model.norm.weight\"}";

    private static ArchitectureDefinition parse(String forward) {
        JsonNode root = SafeJson.parse((HEAD + "\"forward\": " + forward + "}").getBytes(), "test", "definition");
        return ArchitectureDefinition.parse(root, "test.json");
    }

    @Test
    void defaultsDescribeALlamaStyleDecoder() {
        ForwardSpec f = parse("{" + TENSORS + "}").forwardSpec().orElseThrow();
        assertEquals("pre", f.layerNorms());
        assertEquals(0, f.normOffset());
        assertEquals("silu", f.activationDefault());
        assertEquals(java.util.List.of("hidden_act"), f.activationKeys());
        assertEquals("none", f.qkNorm());
        assertEquals("none", f.windowLayers());
        assertEquals(10000, f.ropeThetaDefault());
    }

    @Test
    void mistakesAreOneLineInputErrorsNamingTheFile() {
        String[][] bad = {
            {"{\"layer_norm\": \"pre\", " + TENSORS + "}", "unknown key 'layer_norm' in forward"},
            {"{\"layer_norms\": \"middle\", " + TENSORS + "}", "forward.layer_norms must be one of"},
            {"{\"qk_norm\": \"per-head\", " + TENSORS + "}", "forward.qk_norm must be one of"},
            {"{\"norm_offset\": \"1\", " + TENSORS + "}", "forward.norm_offset must be a number"},
            {"{\"tensors\": {\"embed\": \"model.embed_tokens.weight\"}}", "forward.tensors needs 'final_norm'"},
            {"{\"tensors\": {\"embed\": \"e\", \"final_norm\": \"n\", \"qproj\": \"model.layers.${layer_index}.q\"}}",
                "unknown tensor role 'qproj'"},
            {"{\"tensors\": {\"embed\": \"e\", \"final_norm\": \"n\", \"q\": \"model.q\"}}", "'q' must contain ${layer_index}"},
            {"{\"tensors\": {\"embed\": \"model.layers.${layer_index}.e\", \"final_norm\": \"n\"}}", "'embed' must not contain"},
            {"{\"tensors\": {\"embed\": \"e\", \"final_norm\": \"n\", \"router\": \"model.layers.${layer_index}.g\", "
                + "\"expert_up\": \"model.layers.${layer_index}.up\"}}", "'expert_up' must contain ${layer_index} and ${expert_index}"},
            {"{\"tensors\": {\"embed\": \"e\", \"final_norm\": \"n\", \"router\": \"model.layers.${layer_index}.g\"}}",
                "router but the definition has no expert_count_key"},
            {"[]", "forward must be an object"},
        };
        for (String[] c : bad) {
            MergeLabException e = assertThrows(MergeLabException.class, () -> parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains("test.json") && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
            assertEquals(1, e.oneLine().lines().count());
        }
    }

    @Test
    void everyBuiltInForwardPassFamilyNamesItsCoreTensors() {
        int withForward = 0;
        for (ArchitectureDefinition d : Architectures.builtIn().definitions()) {
            if (d.forwardSpec().isEmpty()) {
                continue;
            }
            withForward++;
            var t = d.forwardSpec().get().tensors();
            assertTrue(t.containsKey("o") && (t.containsKey("q") || t.containsKey("qkv")), d.name());
            assertTrue(t.containsKey("down") || t.containsKey("expert_down"), d.name());
        }
        assertEquals(13, withForward);
    }
}
