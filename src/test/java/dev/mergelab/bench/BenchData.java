package dev.mergelab.bench;

import java.util.Random;

/** Deterministic weight-like data for the benchmarks: small Gaussians, like a transformer's weights. */
final class BenchData {

    /** Elements per call: the chunk size the engine streams tensors in. */
    static final int N = 65536;

    private BenchData() {
    }

    static float[] gaussian(int n, long seed, double sigma) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * sigma);
        }
        return x;
    }
}
