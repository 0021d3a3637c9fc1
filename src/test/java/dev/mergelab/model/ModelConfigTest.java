package dev.mergelab.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelConfigTest {

    @TempDir
    Path dir;

    @Test
    void llamaKeys() {
        ModelConfig c = ModelConfig.parse("""
                {"architectures":["LlamaForCausalLM"],"model_type":"llama","num_hidden_layers":32,
                 "hidden_size":4096,"intermediate_size":14336,"vocab_size":128256,"torch_dtype":"bfloat16",
                 "tie_word_embeddings":false}""", "llama/config.json");
        assertEquals(List.of("LlamaForCausalLM"), c.architectures());
        assertEquals("llama", c.modelType().orElseThrow());
        assertEquals(32, c.numHiddenLayers().getAsInt());
        assertEquals(4096, c.hiddenSize().getAsInt());
        assertEquals(14336, c.intermediateSize().getAsInt());
        assertEquals(128256, c.vocabSize().getAsInt());
        assertEquals(DType.BF16, c.torchDtype().orElseThrow());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void gpt2KeysAndDefaultTie() {
        ModelConfig c = ModelConfig.parse("""
                {"architectures":["GPT2LMHeadModel"],"model_type":"gpt2","n_layer":12,"n_embd":768,
                 "vocab_size":50257}""", "gpt2/config.json");
        assertEquals(12, c.numHiddenLayers().getAsInt());
        assertEquals(768, c.hiddenSize().getAsInt());
        assertTrue(c.tieWordEmbeddings(), "GPT-2 ties by default");
        assertTrue(c.intermediateSize().isEmpty());
        assertTrue(c.torchDtype().isEmpty());
        ModelConfig out = c.withLayerCount(6).withDtype(DType.F16);
        assertEquals(6, out.raw().get("n_layer").asInt());
        assertFalse(out.raw().has("num_hidden_layers"), "keeps the family's own key");
        assertEquals("float16", out.raw().get("torch_dtype").asText());
        assertEquals(12, c.numHiddenLayers().getAsInt(), "original unchanged");
    }

    @Test
    void familyTieDefaults() {
        assertTrue(ModelConfig.parse("{\"model_type\":\"gemma2\"}", "c").tieWordEmbeddings());
        assertFalse(ModelConfig.parse("{\"model_type\":\"mistral\"}", "c").tieWordEmbeddings());
        assertTrue(ModelConfig.parse("{\"model_type\":\"unknown\"}", "c").tieWordEmbeddings(), "Transformers default");
        assertEquals(8, ModelConfig.parse("{\"model_type\":\"mixtral\"}", "c").numLocalExperts().getAsInt());
        assertEquals(4, ModelConfig.parse("{\"model_type\":\"mixtral\",\"num_local_experts\":4}", "c")
                .numLocalExperts().getAsInt());
    }

    @Test
    void textConfigWinsAndUpdatesGoThere() {
        ModelConfig c = ModelConfig.parse("""
                {"architectures":["Gemma3ForConditionalGeneration"],"model_type":"gemma3","torch_dtype":"bfloat16",
                 "text_config":{"model_type":"gemma3_text","num_hidden_layers":4,"hidden_size":64,
                   "layer_types":["sliding_attention","sliding_attention","sliding_attention","full_attention"]},
                 "vision_config":{"num_hidden_layers":27}}""", "g3/config.json");
        assertTrue(c.hasTextConfig());
        assertEquals("gemma3_text", c.textModelType().orElseThrow());
        assertEquals(4, c.numHiddenLayers().getAsInt());
        assertEquals(64, c.hiddenSize().getAsInt());
        assertEquals(262208, c.vocabSize().getAsInt());

        ModelConfig out = c.withLayers(new int[]{0, 1, 3, 3, 2}).withVocabSize(1000).withDtype(DType.F32);
        JsonNode text = out.raw().get("text_config");
        assertEquals(5, text.get("num_hidden_layers").asInt());
        assertEquals(1000, text.get("vocab_size").asInt());
        assertEquals(27, out.raw().get("vision_config").get("num_hidden_layers").asInt(), "vision untouched");
        assertEquals("full_attention", text.get("layer_types").get(2).asText());
        assertEquals("sliding_attention", text.get("layer_types").get(4).asText());
        assertEquals(5, text.get("layer_types").size());
        assertEquals("float32", out.raw().get("torch_dtype").asText());
        assertTrue(out.toJson().contains("\"num_hidden_layers\" : 5"));
    }

    @Test
    void newDtypeKey() {
        ModelConfig c = ModelConfig.parse("{\"dtype\":\"float16\"}", "c");
        assertEquals(DType.F16, c.torchDtype().orElseThrow());
        assertEquals("bfloat16", c.withDtype(DType.BF16).raw().get("dtype").asText());
        assertFalse(c.withDtype(DType.BF16).raw().has("torch_dtype"));
    }

    @Test
    void malformedFilesGiveOneClearLine() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"num_hidden_layers\": 3,");
        var e = assertThrows(MergeLabException.class, () -> ModelConfig.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertFalse(e.oneLine().contains("\n"));

        Files.writeString(f, "[1,2]");
        assertTrue(assertThrows(MergeLabException.class, () -> ModelConfig.read(f)).getMessage()
                .contains("JSON object"));

        Files.writeString(f, "{\"a\":1,\"a\":2}");
        assertTrue(assertThrows(MergeLabException.class, () -> ModelConfig.read(f)).getMessage()
                .contains("Duplicate"));

        Files.writeString(f, "[".repeat(5000) + "]".repeat(5000));
        assertTrue(assertThrows(MergeLabException.class, () -> ModelConfig.read(f)).getMessage()
                .contains(f.toString()));

        Files.writeString(f, "{\"num_hidden_layers\": \"many\"}");
        ModelConfig c = ModelConfig.read(f);
        assertTrue(assertThrows(MergeLabException.class, c::numHiddenLayers).getMessage()
                .contains("num_hidden_layers must be a non-negative whole number"));

        Files.writeString(f, "{\"num_hidden_layers\": 1" + "0".repeat(200) + "}");
        assertThrows(MergeLabException.class, () -> ModelConfig.read(f));

        Files.writeString(f, "{\"text_config\": 3}");
        assertTrue(assertThrows(MergeLabException.class, () -> ModelConfig.read(f)).getMessage()
                .contains("text_config must be an object"));

        Files.write(f, new byte[0]);
        assertThrows(MergeLabException.class, () -> ModelConfig.read(f));

        assertTrue(assertThrows(MergeLabException.class, () -> ModelConfig.read(dir.resolve("nope.json")))
                .getMessage().contains("missing"));
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() throws Exception {
        Path f = dir.resolve("config.json");
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[]{' '}), ModelConfig.MAX_BYTES + 10);
        }
        assertTrue(assertThrows(MergeLabException.class, () -> ModelConfig.read(f)).getMessage()
                .contains("over the limit"));
    }

    @Test
    void readFolder() throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\":\"qwen2\",\"num_hidden_layers\":2}");
        assertEquals(2, ModelConfig.readFolder(dir).numHiddenLayers().getAsInt());
    }
}
