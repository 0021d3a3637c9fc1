package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An F32 GGUF export opened as a model is the source folder again: the same Hugging Face tensor names, shapes and
 * values bit for bit (q/k permutation undone, Gemma's 1 + w undone, experts unstacked, rope_freqs gone), a config
 * the forward pass reads as the source's, and logits within float rounding of the source folder's.
 */
class GgufImportTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("llama", TinyExportModels.llama()), Arguments.of("llama3-rope", TinyExportModels.llama3Rope()),
                Arguments.of("qwen2", TinyExportModels.qwen2()), Arguments.of("gemma", TinyExportModels.gemma()),
                Arguments.of("mixtral", TinyExportModels.mixtral()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void anF32ExportOpensAsTheSourceModel(String name, TinyExportModels.Spec spec) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve(name), spec, 5);
        Path gguf = tmp.resolve(name + ".gguf");
        GgufExport.export(model, gguf, ExportType.F32, 2, w -> { });
        Path companion;
        try (ModelSource src = ModelSource.open(model, "src"); ModelSource imp = ModelSource.open(gguf, "gguf")) {
            GgufImportSupport.sameTensors(src, imp);
            ModelConfig a = src.config(), b = imp.config();
            for (String key : new String[] {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                    "num_key_value_heads", "vocab_size", "max_position_embeddings"}) {
                assertEquals(a.intValue(key), b.intValue(key), key);
            }
            assertEquals(a.tieWordEmbeddings(), b.tieWordEmbeddings());
            assertEquals(a.architectures(), b.architectures());
            GgufImportSupport.closeLogits(GgufImportSupport.logits(src), GgufImportSupport.logits(imp));
            companion = imp.folder();
            assertTrue(Files.isRegularFile(companion.resolve("config.json")));
            assertTrue(Files.isRegularFile(companion.resolve("generation_config.json")));
            assertEquals(gguf, imp.root());
            assertFalse(imp.isSingleFile());
        }
        assertFalse(Files.exists(companion), "the companion folder outlives the model");
    }

    @Test
    void aFolderHoldingOneGgufFileIsThatModel() throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("llama"), TinyExportModels.llama(), 3);
        Path folder = Files.createDirectories(tmp.resolve("holder"));
        GgufExport.export(model, folder.resolve("tiny-f32.gguf"), ExportType.F32, 2, w -> { });
        try (ModelSource src = ModelSource.open(model, "src"); ModelSource imp = ModelSource.open(folder, "gguf folder")) {
            GgufImportSupport.sameTensors(src, imp);
            assertEquals(folder, imp.root());
        }
    }
}
