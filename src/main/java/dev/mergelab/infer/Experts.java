package dev.mergelab.infer;

import dev.mergelab.model.TensorRef;

/**
 * A routed mixture-of-experts feed-forward (Mixtral, Qwen2-MoE, Qwen3-MoE): softmax over the router's
 * logits, the top k experts per token (renormalised when the family says so), each expert a gated MLP,
 * plus Qwen2-MoE's shared expert scaled by sigmoid(shared_expert_gate). Tokens are grouped by expert so
 * each expert's weights are read once per step; contributions are added in expert order.
 */
final class Experts {

    private Experts() {
    }

    static float[] forward(TransformerModel model, LayerWeights w, float[] in, int n) {
        ModelDescription d = model.description();
        int h = d.hidden();
        int e = d.experts();
        int k = d.expertsPerToken();
        float[] logits = new float[n * e];
        model.matMul().multiply(w.router(), in, n, logits);
        int[] chosen = new int[n * k];
        float[] weight = new float[n * k];
        for (int t = 0; t < n; t++) {
            route(logits, t * e, e, k, d.normalizeTopK(), chosen, weight, t * k);
        }
        float[] out = new float[n * h];
        for (int x = 0; x < e; x++) {
            int count = 0;
            for (int i = 0; i < chosen.length; i++) {
                count += chosen[i] == x ? 1 : 0;
            }
            if (count == 0) {
                continue;
            }
            int[] tokens = new int[count];
            float[] scales = new float[count];
            float[] batch = new float[count * h];
            int m = 0;
            for (int i = 0; i < chosen.length; i++) {
                if (chosen[i] == x) {
                    tokens[m] = i / k;
                    scales[m] = weight[i];
                    System.arraycopy(in, tokens[m] * h, batch, m * h, h);
                    m++;
                }
            }
            float[] y = gatedMlp(model, w.expertGate()[x], w.expertUp()[x], w.expertDown()[x], batch, count);
            for (int r = 0; r < count; r++) {
                for (int i = 0; i < h; i++) {
                    out[tokens[r] * h + i] += scales[r] * y[r * h + i];
                }
            }
        }
        if (w.sharedGate() != null) {
            float[] shared = gatedMlp(model, w.sharedGate(), w.sharedUp(), w.sharedDown(), in, n);
            float[] gate = new float[n];
            model.matMul().multiply(w.sharedExpertGate(), in, n, gate);
            for (int t = 0; t < n; t++) {
                float s = (float) (1 / (1 + Math.exp(-gate[t])));
                for (int i = 0; i < h; i++) {
                    out[t * h + i] += s * shared[t * h + i];
                }
            }
        }
        return out;
    }

    /** Softmax (in double) of one token's router logits, then its top k; ties go to the lower expert index. */
    static void route(float[] logits, int off, int e, int k, boolean normalize, int[] chosen, float[] weight, int at) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < e; i++) {
            max = Math.max(max, logits[off + i]);
        }
        double[] p = new double[e];
        double sum = 0;
        for (int i = 0; i < e; i++) {
            p[i] = Math.exp(logits[off + i] - max);
            sum += p[i];
        }
        boolean[] taken = new boolean[e];
        double picked = 0;
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int i = 0; i < e; i++) {
                if (!taken[i] && (best < 0 || p[i] > p[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            chosen[at + j] = best;
            picked += p[best] / sum;
        }
        for (int j = 0; j < k; j++) {
            double prob = p[chosen[at + j]] / sum;
            weight[at + j] = (float) (normalize ? prob / picked : prob);
        }
    }

    private static float[] gatedMlp(TransformerModel model, TensorRef gate, TensorRef up, TensorRef down, float[] in, int n) {
        int width = (int) gate.shape()[0];
        float[] g = new float[n * width];
        float[] u = new float[n * width];
        model.matMul().multiply(gate, in, n, g);
        model.matMul().multiply(up, in, n, u);
        Activation act = model.description().activation();
        for (int i = 0; i < g.length; i++) {
            g[i] = act.apply(g[i]) * u[i];
        }
        float[] y = new float[n * (int) down.shape()[0]];
        model.matMul().multiply(down, g, n, y);
        return y;
    }
}
