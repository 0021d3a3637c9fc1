package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The export of a {@link GgufInput} whose weights are computed on demand (as a merge's are): the same bytes as the
 * folder export, and each tensor asked for exactly once however many chunks and threads read it, so a source that
 * merges on request merges each tensor once and the exporter holds it only while converting it.
 */
class GgufInputTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"f32", "q4_k_m"})
    void anOnDemandSourceIsReadOncePerTensorAndGivesTheFolderExportsBytes(String type) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("tiny"), TinyExportModels.mixtral(), 7);
        Path folderOut = tmp.resolve("folder.gguf");
        GgufExport.export(model, folderOut, ExportType.parse(type), 3, w -> { });
        Map<String, Integer> asked = new ConcurrentHashMap<>();
        try (ModelSource src = ModelSource.open(model, "tiny")) {
            WeightSource counting = new WeightSource() {
                public String displayName() {
                    return "counting";
                }

                public ModelConfig config() {
                    return src.config();
                }

                public TensorRef tensor(String name) {
                    asked.merge(name, 1, Integer::sum);
                    return src.tensor(name);
                }
            };
            GgufInput folder = GgufInput.ofFolder(model, src);
            GgufInput in = new GgufInput(folder.name(), counting, folder.tensors(), folder.config(), folder.files(), folder.card(), null);
            Path out = tmp.resolve("input.gguf");
            GgufExport.export(in, out, ExportType.parse(type), 3, w -> { });
            assertArrayEquals(Files.readAllBytes(folderOut), Files.readAllBytes(out));
            assertEquals(src.tensors().keySet(), asked.keySet());
            asked.forEach((name, n) -> assertEquals(1, n, name + " asked for " + n + " times"));
        }
    }
}
