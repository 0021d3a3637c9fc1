package dev.mergelab.synth;

import dev.mergelab.tensor.DType;

/**
 * Shape and statistics of a synthetic Llama-format model family: one base and {@code fineTunes}
 * children whose task vectors are about {@code deltaScale} of the base's spread, partly shared between
 * children, with sign conflicts and a heavy tail, like real fine-tunes of one base.
 */
public record FamilySpec(
        int layers,
        int hidden,
        int intermediate,
        int heads,
        int kvHeads,
        int vocab,
        DType dtype,
        int fineTunes,
        long shardBytes,
        boolean tiedEmbeddings,
        long seed) {

    /** Base weights ~ N(0, BASE_STD) for matrices, as in initialised-then-trained LLMs. */
    public static final double BASE_STD = 0.02;
    /** Task vectors are about ten times smaller than the weights. */
    public static final double DELTA_STD = 0.002;

    /** TinyLlama-1.1B shapes: 22 layers, hidden 2048, intermediate 5632, 32/4 heads, vocab 32000. */
    public static FamilySpec tinyLlama1b(DType dtype) {
        return new FamilySpec(22, 2048, 5632, 32, 4, 32000, dtype, 3, 2L << 30, false, 42);
    }

    /** A ~3B Llama shape (26 layers, hidden 3072, intermediate 8192, vocab 32000). */
    public static FamilySpec llama3b(DType dtype) {
        return new FamilySpec(26, 3072, 8192, 24, 8, 32000, dtype, 3, 2L << 30, false, 42);
    }

    /** Llama-2-7B shapes (32 layers, hidden 4096, intermediate 11008, vocab 32000). */
    public static FamilySpec llama7b(DType dtype) {
        return new FamilySpec(32, 4096, 11008, 32, 32, 32000, dtype, 3, 5L << 30, false, 42);
    }

    /** A tiny family for tests and the demo: milliseconds to generate. */
    public static FamilySpec tiny(DType dtype) {
        return new FamilySpec(4, 64, 160, 4, 2, 256, dtype, 3, 1L << 30, false, 1234);
    }

    public int headDim() {
        return hidden / heads;
    }

    public FamilySpec withDtype(DType d) {
        return new FamilySpec(layers, hidden, intermediate, heads, kvHeads, vocab, d, fineTunes, shardBytes, tiedEmbeddings, seed);
    }

    public FamilySpec withShardBytes(long b) {
        return new FamilySpec(layers, hidden, intermediate, heads, kvHeads, vocab, dtype, fineTunes, b, tiedEmbeddings, seed);
    }

    public FamilySpec withLayers(int l) {
        return new FamilySpec(l, hidden, intermediate, heads, kvHeads, vocab, dtype, fineTunes, shardBytes, tiedEmbeddings, seed);
    }

    public FamilySpec withFineTunes(int n) {
        return new FamilySpec(layers, hidden, intermediate, heads, kvHeads, vocab, dtype, n, shardBytes, tiedEmbeddings, seed);
    }

    public FamilySpec withTiedEmbeddings(boolean tied) {
        return new FamilySpec(layers, hidden, intermediate, heads, kvHeads, vocab, dtype, fineTunes, shardBytes, tied, seed);
    }

    public FamilySpec withSeed(long s) {
        return new FamilySpec(layers, hidden, intermediate, heads, kvHeads, vocab, dtype, fineTunes, shardBytes, tiedEmbeddings, s);
    }

    /** Parameters per model. */
    public long parameterCount() {
        long kv = (long) kvHeads * headDim();
        long perLayer = 2L * hidden + (long) hidden * hidden * 2 + 2 * kv * hidden + 3L * intermediate * hidden;
        return (long) vocab * hidden * (tiedEmbeddings ? 1 : 2) + hidden + layers * perLayer;
    }
}
