package dev.mergelab.infer;

/**
 * RoPE for one layer kind within a session. Transformers' {@code dynamic_rope_update} makes NTK-dynamic
 * stateful: the frequencies grow with the longest sequence seen and reset once a short one comes; the
 * session keeps that state so a prefill followed by decode steps rotates exactly as Transformers does.
 */
final class Rotary {

    private final RopeParameters params;
    private int cachedLength;
    private RopeFrequencies current;

    Rotary(RopeParameters params) {
        this.params = params;
        this.cachedLength = params.maxPositionEmbeddings();
        this.current = RopeFrequencies.compute(params, params.maxPositionEmbeddings());
    }

    /** The frequencies for a step whose last position is {@code seqLen - 1}. */
    RopeFrequencies frequencies(int seqLen) {
        switch (params.type()) {
            case "dynamic" -> {
                int original = params.maxPositionEmbeddings();
                if (seqLen > cachedLength) {
                    current = RopeFrequencies.compute(params, seqLen);
                    cachedLength = seqLen;
                }
                if (seqLen < original && cachedLength > original) {
                    current = RopeFrequencies.compute(params, original);
                    cachedLength = original;
                }
                return current;
            }
            case "longrope" -> {
                return RopeFrequencies.compute(params, seqLen);
            }
            default -> {
                return current;
            }
        }
    }

    /** cos and sin tables, {@code [n][rotaryDim / 2]}, for positions start..start+n-1, scaled by the attention factor. */
    static float[][] tables(RopeFrequencies f, int start, int n) {
        int half = f.invFreq().length;
        float[] cos = new float[n * half];
        float[] sin = new float[n * half];
        for (int t = 0; t < n; t++) {
            double pos = start + t;
            for (int j = 0; j < half; j++) {
                double angle = pos * f.invFreq()[j];
                cos[t * half + j] = (float) (Math.cos(angle) * f.attentionFactor());
                sin[t * half + j] = (float) (Math.sin(angle) * f.attentionFactor());
            }
        }
        return new float[][]{cos, sin};
    }

    /**
     * Rotates the first rotaryDim dims of each head in place, pairing dim j with j + rotaryDim/2 (Transformers'
     * rotate_half); the rest of a partially rotary head passes through.
     */
    static void apply(float[] x, int n, int heads, int headDim, float[][] tables) {
        float[] cos = tables[0];
        float[] sin = tables[1];
        int half = cos.length / Math.max(1, n);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int j = 0; j < half; j++) {
                    float c = cos[t * half + j];
                    float s = sin[t * half + j];
                    float a = x[base + j];
                    float b = x[base + j + half];
                    x[base + j] = a * c - b * s;
                    x[base + j + half] = b * c + a * s;
                }
            }
        }
    }
}
