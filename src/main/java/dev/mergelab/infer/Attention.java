package dev.mergelab.infer;

/**
 * Causal (optionally sliding-window, optionally soft-capped) grouped-query attention of n new queries over
 * the cached keys and values. Each (token, head) pair is computed whole by one thread.
 */
final class Attention {

    private Attention() {
    }

    /**
     * @param q      [n][heads * headDim], RoPE applied
     * @param keys   cache, [position][kvHeads * headDim], holding positions 0..start+n-1
     * @param window attend to the last {@code window} positions (itself included); 0 for all
     * @return [n][heads * headDim]
     */
    static float[] compute(Workers workers, ModelDescription d, float[] q, float[] keys, float[] values,
                           int n, int start, int window) {
        int heads = d.heads();
        int hd = d.headDim();
        int group = heads / d.kvHeads();
        int kvWidth = d.kvDim();
        float scale = (float) d.attentionScale();
        float cap = d.attnSoftcap();
        float[] out = new float[n * heads * hd];
        workers.forEach(n * heads, job -> {
            int t = job / heads;
            int h = job % heads;
            int pos = start + t;
            int from = window > 0 ? Math.max(0, pos - window + 1) : 0;
            int qo = (t * heads + h) * hd;
            int ko = (h / group) * hd;
            float[] scores = new float[pos - from + 1];
            float max = Float.NEGATIVE_INFINITY;
            for (int j = from; j <= pos; j++) {
                int kb = j * kvWidth + ko;
                float s = 0f;
                for (int i = 0; i < hd; i++) {
                    s += q[qo + i] * keys[kb + i];
                }
                s *= scale;
                if (cap > 0) {
                    s = (float) (Math.tanh(s / cap) * cap);
                }
                scores[j - from] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            double[] weights = new double[scores.length];
            for (int j = 0; j < scores.length; j++) {
                weights[j] = Math.exp(scores[j] - max);
                sum += weights[j];
            }
            double[] acc = new double[hd];
            for (int j = from; j <= pos; j++) {
                double p = weights[j - from] / sum;
                int vb = j * kvWidth + ko;
                for (int i = 0; i < hd; i++) {
                    acc[i] += p * values[vb + i];
                }
            }
            for (int i = 0; i < hd; i++) {
                out[qo + i] = (float) acc[i];
            }
        });
        return out;
    }
}
