package dev.mergelab.lab;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** Format name for reports: a flat file, one file in a folder, or shards with an index; "pytorch" for .bin weights. */
    public String format() {
        String kind = source.files().stream().anyMatch(f -> f instanceof dev.mergelab.format.pickle.TorchCheckpoint) ? "pytorch" : "safetensors";
        if (source.isSingleFile()) {
            return kind + "-file";
        }
        return source.files().size() > 1 ? kind + "-sharded" : kind;
    }

    /**
     * The report {@code inspect --json} prints (and a web view can serve): path, format, architecture, counts,
     * dtypes, tokenizer, and every tensor's name, dtype and shape.
     */
    public String toJson() {
        ObjectNode o = LabJson.MAPPER.createObjectNode();
        o.put("path", source.root().toString());
        o.put("format", format());
        o.put("files", source.files().size());
        o.put("architecture", architecture.name());
        o.put("architecture_inferred", architecture.isInferred());
        o.put("model_type", config == null ? null : config.modelType().orElse(null));
        o.put("num_layers", numLayers);
        o.put("num_parameters", numParameters);
        o.put("bytes", numBytes);
        ObjectNode dt = o.putObject("dtypes");
        for (Map.Entry<DType, Long> e : dtypes.entrySet()) {
            dt.put(e.getKey().safetensorsName(), e.getValue());
        }
        o.put("tokenizer", tokenizer.present());
        if (tokenizer.vocabSize().isPresent()) {
            o.put("tokenizer_vocab_size", tokenizer.vocabSize().getAsInt());
        }
        if (config != null && config.vocabSize().isPresent()) {
            o.put("vocab_size", config.vocabSize().getAsInt());
        }
        ArrayNode ts = o.putArray("tensors");
        for (TensorRef t : source.tensors().values()) {
            ObjectNode to = ts.addObject();
            to.put("name", t.name());
            to.put("dtype", t.dtype().safetensorsName());
            ArrayNode sh = to.putArray("shape");
            for (long d : t.shape()) {
                sh.add(d);
            }
        }
        return LabJson.pretty(o);
    }
}
