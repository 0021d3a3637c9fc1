package dev.mergelab.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.mergelab.export.ExportType;
import dev.mergelab.export.GgufExport;
import dev.mergelab.export.TinyExportModels;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorPatch;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.gguf.GgufModelFile;
import dev.mergelab.tensor.QuantType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A quantized GGUF opened as a model is multiplied by the block kernels: in place wherever its rows lie in the file in
 * order, and through a copy of the blocks in Transformers' row order for llama.cpp's permuted q/k projections; the
 * logits are bit for bit those of the same file read through the decoding path (every weight decoded to float32 rows and dotted in the kernels' summation order).
 */
class KernelMatMulGgufModelTest {

    private static final int[] IDS = {1, 15043, 3186, 29892, 278, 6635, 3290, 373};

    @Test
    void everyQuantizedMatrixGoesToTheBlockKernelsAndTheLogitsAreTheDecodingPaths(@TempDir Path tmp) throws Exception {
        Path model = TinyExportModels.write(tmp.resolve("llama"), TinyExportModels.llama(), 5);
        Path gguf = tmp.resolve("llama-q8_0.gguf");
        GgufExport.export(model, gguf, ExportType.Q8_0, 2, w -> { });
        try (ModelSource imported = ModelSource.open(gguf, "gguf")) {
            int inPlace = 0;
            for (Map.Entry<String, TensorRef> e : imported.tensors().entrySet()) {
                TensorRef t = e.getValue();
                assertEquals(GgufModelFile.class, t.file().getClass());
                if (t.info().rank() != 2 || e.getKey().contains("embed_tokens")) {
                    continue;
                }
                QuantMatrixProbe probe = new QuantMatrixProbe(t);
                assertNotNull(probe.matrix, e.getKey() + " is multiplied by the block kernels");
                assertEquals(QuantType.Q8_0, probe.matrix.type(), e.getKey());
                boolean permuted = e.getKey().contains("q_proj") || e.getKey().contains("k_proj");
                assertEquals(!permuted, probe.matrix.data().equals(t.data()), e.getKey() + ": in place unless permuted");
                inPlace++;
            }
            assertEquals(2 * 7 + 1, inPlace, "q, k (reordered blocks), v, o, gate, up, down of both layers, and the head");
            ModelSource again = ModelSource.open(gguf, "gguf"); // taken over (and closed) by its withTensors copy
            Map<String, TensorRef> decoded = new LinkedHashMap<>();
            again.tensors().forEach((name, t) -> decoded.put(name, new TensorRef(t.file(), t.info(), NOTHING)));
            try (ModelSource decoding = again.withTensors("decoding", decoded, List.of())) {
                assertArrayEquals(logits(decoding), logits(imported));
            }
        }
    }

    /** A patch that changes nothing: its ref is no longer verbatim, so the forward pass decodes it. */
    private static final TensorPatch NOTHING = new TensorPatch() {
        @Override
        public void applyTo(float[] decoded) {
        }

        @Override
        public long workingBytes() {
            return 0;
        }

        @Override
        public String describe() {
            return "nothing";
        }

        @Override
        public RowPatcher rows() {
            return (rows, rowStart, n) -> { };
        }
    };

    private static float[] logits(ModelSource source) {
        try (Workers w = new Workers(2)) {
            return TransformerModel.load(source, w).newSession().forward(IDS);
        }
    }

    /** What {@link KernelMatMul} hands the block kernels for one weight (null: it decodes rows instead). */
    private record QuantMatrixProbe(dev.mergelab.tensor.QuantMatrix matrix) {
        QuantMatrixProbe(TensorRef t) {
            this(KernelMatMul.quantized(t, Math.toIntExact(t.shape()[0]), Math.toIntExact(t.shape()[1])));
        }
    }
}
