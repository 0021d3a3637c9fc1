package dev.mergelab.infer;

import dev.mergelab.tensor.MatrixKernels;

/**
 * Causal (optionally sliding-window, optionally soft-capped) grouped-query attention of n new queries over
 * the cached keys and values. Each (token, head) pair is computed whole by one thread: scores by
 * {@link MatrixKernels#dots} (each a {@link MatrixKernels#dot}), weights by {@link MatrixKernels#softmax}, then
 * the values summed in position order by {@link MatrixKernels#weightedSum}.
 */
final class Attention {

    /** Each thread's score buffer, grown as needed: a prefill would otherwise allocate one per (token, head). */
    private static final ThreadLocal<float[][]> SCORES = ThreadLocal.withInitial(() -> new float[][]{new float[0]});

    private Attention() {
    }

    private static float[] scores(int count) {
        float[][] holder = SCORES.get();
        if (holder[0].length < count) {
            holder[0] = new float[Math.max(count, 2 * holder[0].length)];
        }
        return holder[0];
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
            int count = pos - from + 1;
            float[] scores = scores(count);
            int first = from * kvWidth + ko;
            MatrixKernels.dots(q, qo, keys, first, kvWidth, count, hd, scores, 0);
            for (int j = 0; j < count; j++) {
                float sc = scores[j] * scale;
                if (cap > 0) {
                    sc = (float) (Math.tanh(sc / cap) * cap);
                }
                scores[j] = sc;
            }
            MatrixKernels.softmax(scores, 0, count);
            // weighted sum of the values, position by position (a fixed order: thread-count independent)
            MatrixKernels.weightedSum(scores, 0, count, values, first, kvWidth, hd, out, qo);
        });
        return out;
    }
}
