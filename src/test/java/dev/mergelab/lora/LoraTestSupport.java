package dev.mergelab.lora;

import dev.mergelab.cli.Main;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.synth.AdapterGenerator;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Helpers shared by the LoRA tests: the real CLI in-process, tensor reads, and an independent naive ΔW. */
final class LoraTestSupport {

    record Run(int code, String out, String err) {
    }

    private LoraTestSupport() {
    }

    static Run cli(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(args, new PrintWriter(o), new PrintWriter(e));
        return new Run(code, o.toString(), e.toString());
    }

    static float[] read(ModelSource m, String name) {
        TensorRef t = m.tensor(name);
        float[] v = new float[(int) t.numel()];
        t.decodeInto(v);
        return v;
    }

    /** W + scale·B·A computed in double with plain loops; transposed adds (B·A)ᵀ (embeddings, fan_in_fan_out). */
    static float[] naiveApply(float[] w, AdapterGenerator.Spec spec, AdapterGenerator.Module m, double scale, boolean transposed) {
        float[][] f = AdapterGenerator.factors(spec, m);
        float[] a = f[0];
        float[] b = f[1];
        float[] out = w.clone();
        for (int i = 0; i < m.out(); i++) {
            for (int j = 0; j < m.in(); j++) {
                double s = 0;
                for (int c = 0; c < m.rank(); c++) {
                    s += (double) b[i * m.rank() + c] * a[c * m.in() + j];
                }
                int at = transposed ? j * m.out() + i : i * m.in() + j;
                out[at] = (float) (w[at] + scale * s);
            }
        }
        return out;
    }

    static double maxAbsDiff(float[] x, float[] y) {
        double d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs((double) x[i] - y[i]));
        }
        return d;
    }
}
