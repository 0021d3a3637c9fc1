package dev.mergelab.export;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mergelab.model.ModelSource;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A file written by llama.cpp's own convert_hf_to_gguf.py (run unchanged, as in GgufConverterAgreementTest, without
 * its tokenizer step) opens as the model it was converted from: every tensor bit for bit (F32, and BF16 from a BF16
 * source) and logits within float rounding. Skipped where llama.cpp's tree or Debian's python3 with torch is absent.
 */
class GgufImportConverterTest {

    @TempDir
    Path tmp;

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of("llama", TinyExportModels.llama(), "f32"), Arguments.of("qwen2", TinyExportModels.qwen2(), "bf16"),
                Arguments.of("gemma", TinyExportModels.gemma(), "f32"), Arguments.of("mixtral", TinyExportModels.mixtral(), "f32"),
                Arguments.of("llama3-rope", TinyExportModels.llama3Rope(), "bf16"));
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("models")
    void theConvertersFileOpensAsTheSourceModel(String name, TinyExportModels.Spec spec, String type) throws Exception {
        assumeTrue(LlamaCppPeer.haveConverter(), "needs llama.cpp's tree (" + LlamaCppPeer.TREE
                + ", scripts/fetch-llama-cpp.sh) and Debian's python3 with torch, numpy and yaml");
        Path model = TinyExportModels.write(tmp.resolve(name), spec.sized(64, 128, 1), 17);
        Path theirs = tmp.resolve(name + "-converter.gguf");
        LlamaCppPeer.run(List.of(LlamaCppPeer.PYTHON.toString(), "scripts/gguf-ref/convert_ref.py", LlamaCppPeer.TREE.toString(),
                model.toString(), theirs.toString(), type));
        try (ModelSource src = ModelSource.open(model, "src"); ModelSource imp = ModelSource.open(theirs, "converter")) {
            GgufImportSupport.sameTensors(src, imp);
            GgufImportSupport.closeLogits(GgufImportSupport.logits(src), GgufImportSupport.logits(imp));
        }
    }
}
