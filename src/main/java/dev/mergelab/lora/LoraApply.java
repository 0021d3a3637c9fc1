package dev.mergelab.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.mergelab.MergeLabException;
import dev.mergelab.tensor.DType;

/**
 * {@code lora apply} as a recipe: a one-parent passthrough merge of {@code BASE+ADAPTER}. The adapted
 * parent computes W + scale·B·A per tensor ({@link AdaptedModels}), and the ordinary planner, executor
 * and output folder do the rest (streaming on all cores in the heap budget, shards, config, tokenizer,
 * model card, atomic rename), so applying an adapter has exactly the guarantees of any merge. The
 * recipe is also written into the output as {@code mergelab_recipe.yml}, which reproduces it.
 */
public final class LoraApply {

    private LoraApply() {
    }

    /** The recipe text; {@code dtype} may be null (each tensor keeps its stored dtype). */
    public static String recipe(String base, String adapter, DType dtype) {
        if (adapter.contains("+")) {
            throw MergeLabException.input("adapter path '" + adapter + "' contains '+'",
                    "BASE+ADAPTER references split at the last '+'; rename or symlink the adapter folder");
        }
        StringBuilder y = new StringBuilder();
        y.append("# Written by mergelab lora apply: the base with a PEFT LoRA adapter merged in.\n");
        y.append("merge_method: passthrough\n");
        if (dtype != null) {
            y.append("dtype: ").append(dtype.torchName()).append('\n');
        }
        y.append("models:\n  - model: ").append(quote(base + "+" + adapter)).append('\n');
        return y.toString();
    }

    /** A YAML double-quoted scalar (JSON string syntax is valid YAML). */
    static String quote(String s) {
        try {
            return AdapterJson.MAPPER.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
