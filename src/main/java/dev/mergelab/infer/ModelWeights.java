package dev.mergelab.infer;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.ArchitectureDefinition;
import dev.mergelab.model.ForwardSpec;
import dev.mergelab.model.WeightSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.DType;

import java.util.Arrays;

/**
 * A model's weights found by the family's tensor roles and checked against the {@link ModelDescription}'s
 * shapes, so a mismatched checkpoint fails on load naming the tensor, not deep inside a product.
 */
public record ModelWeights(TensorRef embed, float[] finalNorm, TensorRef lmHead, LayerWeights[] layers) {

    public static ModelWeights load(WeightSource source, ModelDescription d) {
        Finder f = new Finder(source, d.spec());
        TensorRef embed = f.matrix("embed", -1, -1, d.vocab(), d.hidden(), true);
        float[] finalNorm = f.vector("final_norm", -1, d.hidden(), true);
        TensorRef lmHead = d.tiedEmbeddings() ? embed : f.matrix("lm_head", -1, -1, d.vocab(), d.hidden(), true);
        LayerWeights[] layers = new LayerWeights[d.layers()];
        String norms = d.spec().layerNorms();
        int h = d.hidden();
        for (int i = 0; i < layers.length; i++) {
            boolean fused = d.spec().tensors().containsKey("qkv");
            String qk = d.spec().qkNorm();
            int qNormDim = qk.equals("per_head") ? d.headDim() : d.qDim();
            int kNormDim = qk.equals("per_head") ? d.headDim() : d.kvDim();
            TensorRef down = null;
            TensorRef gate = null;
            TensorRef up = null;
            TensorRef gateUp = null;
            TensorRef router = null;
            TensorRef[] eg = null;
            TensorRef[] eu = null;
            TensorRef[] ed = null;
            TensorRef sg = null;
            TensorRef su = null;
            TensorRef sd = null;
            TensorRef sgate = null;
            if (d.sparseLayers()[i]) {
                router = f.matrix("router", i, -1, d.experts(), h, true);
                eg = new TensorRef[d.experts()];
                eu = new TensorRef[d.experts()];
                ed = new TensorRef[d.experts()];
                for (int e = 0; e < d.experts(); e++) {
                    eg[e] = f.matrix("expert_gate", i, e, -1, h, true);
                    eu[e] = f.matrix("expert_up", i, e, (int) eg[e].shape()[0], h, true);
                    ed[e] = f.matrix("expert_down", i, e, h, (int) eg[e].shape()[0], true);
                }
                sg = f.matrix("shared_gate", i, -1, -1, h, false);
                if (sg != null) {
                    su = f.matrix("shared_up", i, -1, (int) sg.shape()[0], h, true);
                    sd = f.matrix("shared_down", i, -1, h, (int) sg.shape()[0], true);
                    sgate = f.matrix("shared_expert_gate", i, -1, 1, h, true);
                }
            } else if (d.spec().tensors().containsKey("gate_up")) {
                gateUp = f.matrix("gate_up", i, -1, -1, h, true);
                down = f.matrix("down", i, -1, h, (int) gateUp.shape()[0] / 2, true);
            } else {
                gate = f.matrix("gate", i, -1, -1, h, true);
                up = f.matrix("up", i, -1, (int) gate.shape()[0], h, true);
                down = f.matrix("down", i, -1, h, (int) gate.shape()[0], true);
            }
            int mlpWidth = gate != null ? (int) gate.shape()[0] : -1;
            layers[i] = new LayerWeights(
                    norms.equals("post") ? null : f.vector("attn_norm", i, h, true),
                    norms.equals("pre") ? null : f.vector("attn_post_norm", i, h, true),
                    norms.equals("post") ? null : f.vector("mlp_norm", i, h, true),
                    norms.equals("pre") ? null : f.vector("mlp_post_norm", i, h, true),
                    fused ? null : f.matrix("q", i, -1, d.qDim(), h, true),
                    fused ? null : f.matrix("k", i, -1, d.kvDim(), h, true),
                    fused ? null : f.matrix("v", i, -1, d.kvDim(), h, true),
                    fused ? f.matrix("qkv", i, -1, d.qDim() + 2 * d.kvDim(), h, true) : null,
                    f.matrix("o", i, -1, h, d.qDim(), true),
                    f.vector("q_bias", i, d.qDim(), false), f.vector("k_bias", i, d.kvDim(), false),
                    f.vector("v_bias", i, d.kvDim(), false), f.vector("o_bias", i, h, false),
                    qk.equals("none") ? null : f.vector("q_norm", i, qNormDim, true),
                    qk.equals("none") ? null : f.vector("k_norm", i, kNormDim, true),
                    gate, up, down, gateUp,
                    mlpWidth < 0 ? null : f.vector("gate_bias", i, mlpWidth, false),
                    mlpWidth < 0 ? null : f.vector("up_bias", i, mlpWidth, false),
                    down == null ? null : f.vector("down_bias", i, h, false),
                    router, eg, eu, ed, sg, su, sd, sgate);
        }
        return new ModelWeights(embed, finalNorm, lmHead, layers);
    }

    /** Looks tensors up by role and checks dtype and shape. */
    private record Finder(WeightSource source, ForwardSpec spec) {

        TensorRef find(String role, int layer, int expert, boolean required) {
            String template = spec.tensors().get(role);
            if (template == null) {
                if (required) {
                    throw MergeLabException.input("architecture definition has no tensor for role '" + role + "'", null);
                }
                return null;
            }
            String name = template;
            if (layer >= 0) {
                name = name.replace(ArchitectureDefinition.LAYER_INDEX, Integer.toString(layer));
            }
            if (expert >= 0) {
                name = name.replace(ArchitectureDefinition.EXPERT_INDEX, Integer.toString(expert));
            }
            TensorRef t = source.tensor(name);
            if (t == null) {
                if (required) {
                    throw MergeLabException.input(source.displayName() + ": tensor " + name + " is missing",
                            "the checkpoint does not match its config.json");
                }
                return null;
            }
            if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
                throw MergeLabException.input(source.displayName() + ": tensor " + name + " is "
                        + t.dtype().safetensorsName() + "; the forward pass reads F32, F16 and BF16", null);
            }
            return t;
        }

        /** A [rows, cols] matrix; -1 leaves a dimension unchecked. */
        TensorRef matrix(String role, int layer, int expert, int rows, int cols, boolean required) {
            TensorRef t = find(role, layer, expert, required);
            if (t != null) {
                long[] s = t.shape();
                if (s.length != 2 || (rows >= 0 && s[0] != rows) || (cols >= 0 && s[1] != cols) || s[0] == 0) {
                    throw shape(t, "[" + (rows < 0 ? "?" : rows) + ", " + (cols < 0 ? "?" : cols) + "]");
                }
            }
            return t;
        }

        float[] vector(String role, int layer, int length, boolean required) {
            TensorRef t = find(role, layer, -1, required);
            if (t == null) {
                return null;
            }
            if (t.shape().length != 1 || t.shape()[0] != length) {
                throw shape(t, "[" + length + "]");
            }
            float[] out = new float[length];
            t.decodeInto(out);
            return out;
        }

        private MergeLabException shape(TensorRef t, String expected) {
            return MergeLabException.input(source.displayName() + ": tensor " + t.name() + " has shape "
                    + Arrays.toString(t.shape()) + ", the config implies " + expected, null);
        }
    }
}
