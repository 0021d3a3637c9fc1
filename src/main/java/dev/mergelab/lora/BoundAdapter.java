package dev.mergelab.lora;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.TensorRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import dev.mergelab.model.Architecture;
import dev.mergelab.model.Architectures;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.WeightInfo;

/**
 * An adapter checked against one base model: every adapted module exists in the base with the shape
 * PEFT expects, ranks agree with the config (r / rank_pattern), target_modules selects each module,
 * whole saved tensors replace base tensors of the same shape and are listed in modules_to_save. Each
 * failure is one line naming the module and what to do.
 *
 * @param adapter the adapter
 * @param modules adapted modules with resolved rank, alpha, scale and layout
 * @param saved   whole tensors that replace the base's, by tensor name
 */
public record BoundAdapter(Adapter adapter, List<LoraModule> modules, Map<String, TensorRef> saved) {

    static BoundAdapter bind(Adapter adapter, ModelSource source, Consumer<String> warnings) {
        Map<String, TensorRef> base = source.tensors();
        String baseName = source.displayName();
        Architecture arch = Architectures.forSource(source);
        AdapterConfig cfg = adapter.config();
        boolean warnedLinear = false;
        boolean warnedConv1d = false;
        String who = "adapter " + adapter.folder();
        String hint = cfg.baseModel() == null ? "check that the adapter was trained on this base"
                : "the adapter was trained on " + AdapterJson.show(cfg.baseModel()) + "; check that " + baseName + " is that model";
        List<LoraModule> modules = new ArrayList<>();
        for (Adapter.Pair p : adapter.pairs().values()) {
            String m = p.module();
            TensorRef w = base.get(m + ".weight");
            if (w == null) {
                throw MergeLabException.input(who + " targets module " + AdapterJson.show(m) + " but " + baseName + " has no tensor "
                        + AdapterJson.show(m) + ".weight", hint);
            }
            if (!cfg.targetModules().matches(m, isOutputHead(m))) {
                throw MergeLabException.input(who + " has weights for " + AdapterJson.show(m)
                        + " but its target_modules does not select that module (PEFT would ignore them)",
                        "add the module to target_modules in adapter_config.json or remove its tensors");
            }
            long[] ws = w.shape();
            long[] as = p.a().shape();
            long[] bs = p.b().shape();
            if (ws.length != 2 || !w.dtype().isFloating()) {
                throw MergeLabException.input(who + ": base tensor " + m + ".weight is " + w.dtype() + " " + Arrays.toString(ws),
                        "LoRA applies to 2-D floating-point weights only (Conv and quantised layers are not supported)");
            }
            int rank = cfg.rankOf(m);
            // PEFT decides the layout by the layer type and overrides fan_in_fan_out with a warning: False
            // for nn.Linear, True for GPT-2's Conv1D. The architecture says which weights are Conv1D.
            boolean conv1d = arch.classify(m + ".weight").map(WeightInfo::storedInOut).orElse(false);
            boolean fanInFanOut = !p.embedding() && (arch.isInferred() ? cfg.fanInFanOut() : conv1d);
            if (!p.embedding() && !arch.isInferred() && cfg.fanInFanOut() != conv1d) {
                if (conv1d && !warnedConv1d) {
                    warnedConv1d = true;
                    warnings.accept(who + ": fan_in_fan_out is false but " + m + " is a Conv1D layer (weight stored [in, out]); "
                            + "applying it transposed, as PEFT does");
                } else if (!conv1d && !warnedLinear) {
                    warnedLinear = true;
                    warnings.accept(who + ": fan_in_fan_out is true but " + m + " is a Linear layer; ignoring it, as PEFT does");
                }
            }
            boolean transposed = p.embedding() || fanInFanOut;
            // Un-transposed ΔW = B·A is [B rows, A cols]; PEFT adds it transposed for embeddings and fan_in_fan_out.
            long out = transposed ? ws[1] : ws[0];
            long in = transposed ? ws[0] : ws[1];
            String layout = p.embedding() ? "lora_embedding_A [r, vocab] and lora_embedding_B [hidden, r]"
                    : fanInFanOut ? "lora_A [r, in] and lora_B [out, r] with the weight stored [in, out] (fan_in_fan_out)"
                    : "lora_A [r, in] and lora_B [out, r]";
            if (as[1] != in || bs[0] != out || as[0] != bs[1]) {
                throw MergeLabException.input(who + ": module " + AdapterJson.show(m) + " has A " + Arrays.toString(as) + " and B "
                        + Arrays.toString(bs) + " but the base weight is " + Arrays.toString(ws) + "; PEFT expects " + layout, hint);
            }
            if (as[0] != rank) {
                throw MergeLabException.input(who + ": module " + AdapterJson.show(m) + " has rank " + as[0] + " but adapter_config.json says "
                        + rank + (cfg.rankPattern().isEmpty() ? " (r)" : " (r / rank_pattern)"),
                        "fix r or rank_pattern in adapter_config.json to match the tensors");
            }
            double alpha = cfg.alphaOf(m);
            modules.add(new LoraModule(m, p.a(), p.b(), p.embedding(), rank, alpha, cfg.scaleOf(m), transposed));
        }
        Map<String, TensorRef> saved = new LinkedHashMap<>();
        for (Map.Entry<String, TensorRef> e : adapter.saved().entrySet()) {
            String name = e.getKey();
            TensorRef w = base.get(name);
            if (w == null) {
                throw MergeLabException.input(who + " saves tensor " + AdapterJson.show(name) + " but " + baseName + " has no such tensor", hint);
            }
            if (!Arrays.equals(w.shape(), e.getValue().shape())) {
                throw MergeLabException.input(who + " saves " + AdapterJson.show(name) + " as " + e.getValue().info().shapeString()
                        + " but the base has " + w.info().shapeString(),
                        "vocabulary or shape changes are not supported; resize the base first");
            }
            String module = Adapter.moduleOf(name);
            boolean listed = cfg.modulesToSave().stream()
                    .anyMatch(module::endsWith) // PEFT's rule: a plain suffix test
                    || adapter.file().tensor(Adapter.PREFIX + module + ".base_layer.weight") != null;
            if (!listed) {
                throw MergeLabException.input(who + " saves whole tensor " + AdapterJson.show(name) + " but modules_to_save does not list "
                        + AdapterJson.show(module) + " (PEFT would ignore it)", "add the module to modules_to_save or remove the tensor");
            }
            saved.put(name, e.getValue());
        }
        return new BoundAdapter(adapter, List.copyOf(modules), java.util.Collections.unmodifiableMap(saved));
    }

    /** The output head: "all-linear" leaves it out, like PEFT. */
    static boolean isOutputHead(String module) {
        return module.equals("lm_head") || module.endsWith(".lm_head") || module.equals("embed_out");
    }

    /** The base tensors with the adapter applied: patched refs for adapted weights, the adapter's for saved ones. */
    public Map<String, TensorRef> overlay(Map<String, TensorRef> base) {
        Map<String, TensorRef> out = new LinkedHashMap<>(base);
        out.putAll(saved);
        for (LoraModule m : modules) {
            // On the saved base layer when the adapter has one (save_embedding_layers), else on the base's.
            TensorRef w = out.get(m.weightName());
            out.put(m.weightName(), new TensorRef(w.file(), w.info(), new LowRankPatch(m)));
        }
        return out;
    }
}
