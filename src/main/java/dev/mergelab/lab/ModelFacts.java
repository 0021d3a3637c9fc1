package dev.mergelab.lab;

import dev.mergelab.model.Architecture;
import dev.mergelab.model.Architectures;
import dev.mergelab.model.InferredLayout;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.TokenizerInfo;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the lab knows about one opened model: its config (if any), the architecture that explains its
 * tensor names, its tokenizer, layer and parameter counts and dtype mix. Used by {@code inspect} and
 * {@code compat}.
 */
public record ModelFacts(ModelSource source, ModelConfig config, Architecture architecture, TokenizerInfo tokenizer,
        int numLayers, long numParameters, long numBytes, Map<DType, Long> dtypes) {

    public static ModelFacts of(ModelSource m) {
        ModelConfig cfg = !m.isSingleFile() && Files.isRegularFile(m.folder().resolve("config.json"))
                ? ModelConfig.readFolder(m.folder()) : null;
        Architecture arch = cfg == null ? InferredLayout.infer(m.tensors().keySet(), "no config.json")
                : Architectures.builtIn().forModel(cfg, m.tensors().keySet());
        int layers = cfg != null && !arch.isInferred() ? arch.layerCount(cfg) : arch.inferredLayerCount();
        TokenizerInfo tok = m.isSingleFile() ? new TokenizerInfo(false, java.util.List.of(), java.util.OptionalInt.empty(), null)
                : TokenizerInfo.of(m.folder());
        long params = 0;
        long bytes = 0;
        Map<DType, Long> dtypes = new TreeMap<>();
        for (TensorRef t : m.tensors().values()) {
            params += t.numel();
            bytes += t.byteSize();
            dtypes.merge(t.dtype(), t.numel(), Long::sum);
        }
        return new ModelFacts(m, cfg, arch, tok, layers, params, bytes, dtypes);
    }

    /** Format name for reports: a flat file, one file in a folder, or shards with an index. */
    public String format() {
        if (source.isSingleFile()) {
            return "safetensors-file";
        }
        return source.files().size() > 1 ? "safetensors-sharded" : "safetensors";
    }
}
