package dev.mergelab.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.format.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one mixture rule of llama_tensor_get_type_impl that depends on an importance matrix for the presets MergeLab
 * writes: with one, Q4_0 and Q5_0 give the ffn_down of the first n_layer/8 layers Q4_1 and Q5_1 ("guard against
 * craziness"); without one, nothing changes (so `--imatrix`-free exports keep their bytes), and other presets ignore it.
 */
class QuantPlanImatrixTest {

    private static List<QuantPlan.In> tensors(int layers) {
        List<QuantPlan.In> in = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (String n : List.of("attn_k", "attn_output", "attn_q", "attn_v", "ffn_down", "ffn_gate", "ffn_up")) {
                in.add(new QuantPlan.In("blk." + l + "." + n + ".weight", 256, 2, GgmlType.F32));
            }
        }
        in.add(new QuantPlan.In("output.weight", 256, 2, GgmlType.F32));
        in.add(new QuantPlan.In("token_embd.weight", 256, 2, GgmlType.F32));
        in.sort((a, b) -> QuantPlan.LOADER_ORDER.compare(a.name(), b.name()));
        return in;
    }

    private static GgmlType typeOf(List<QuantPlan.In> in, List<GgmlType> types, String name) {
        for (int i = 0; i < in.size(); i++) {
            if (in.get(i).name().equals(name)) {
                return types.get(i);
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void q40AndQ50GuardTheFirstFfnDownLayersOnlyWithAnImatrix() {
        List<QuantPlan.In> in = tensors(16);
        QuantPlan.Model m = new QuantPlan.Model(16, 0, false);
        for (ExportType t : List.of(ExportType.Q4_0, ExportType.Q5_0)) {
            List<GgmlType> with = QuantPlan.types(in, t, m, true);
            List<GgmlType> without = QuantPlan.types(in, t, m, false);
            GgmlType guard = t == ExportType.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
            assertEquals(guard, typeOf(in, with, "blk.0.ffn_down.weight"));
            assertEquals(guard, typeOf(in, with, "blk.1.ffn_down.weight"));
            assertEquals(t.defaultType, typeOf(in, with, "blk.2.ffn_down.weight"));
            assertEquals(t.defaultType, typeOf(in, without, "blk.0.ffn_down.weight"));
            int changed = 0;
            for (int i = 0; i < in.size(); i++) {
                changed += with.get(i) == without.get(i) ? 0 : 1;
            }
            assertEquals(2, changed, t + ": only the first 16/8 ffn_down tensors change");
            assertEquals(without, QuantPlan.types(in, t, m), "the imatrix-free overload");
        }
        for (ExportType t : List.of(ExportType.Q4_1, ExportType.Q5_1, ExportType.Q8_0, ExportType.Q4_K_M, ExportType.Q4_K_S,
                ExportType.Q5_K_M, ExportType.Q6_K)) {
            assertEquals(QuantPlan.types(in, t, m, false), QuantPlan.types(in, t, m, true), t.toString());
        }
    }
}
