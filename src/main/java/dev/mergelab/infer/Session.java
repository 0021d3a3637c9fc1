package dev.mergelab.infer;

import dev.mergelab.MergeLabException;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.MatrixKernels;
import java.util.Arrays;

/**
 * One sequence being run: its KV cache and RoPE state. {@link #forward} takes the next tokens (a prefill of
 * any length, or one decode step) at the positions after those already cached and returns their logits, as
 * Transformers' {@code model(input_ids, past_key_values=...)} would. Activations are float32; matrix
 * products, norms, dot products and softmax go through {@link MatrixKernels} (float lanes in a fixed order).
 */
public final class Session {

    private final TransformerModel model;
    private final ModelDescription d;
    private final KvCache cache;
    private final Rotary globalRope;
    private final Rotary localRope;

    Session(TransformerModel model) {
        this.model = model;
        this.d = model.description();
        this.cache = new KvCache(d.layers(), d.kvDim());
        this.globalRope = new Rotary(d.globalRope());
        this.localRope = d.localRope() == d.globalRope() ? globalRope : new Rotary(d.localRope());
    }

    /** Positions already processed. */
    public int length() {
        return cache.length();
    }

    /**
     * Forgets the positions from {@code keep} on, so the next {@link #forward} continues after the first
     * {@code keep} tokens: several continuations of one prefix then share its prefill (evaluation scores every
     * answer of a question after one pass over the question), and a chat whose re-rendered history differs from
     * what was run keeps the common prefix. RoPE whose frequencies follow the longest length seen (dynamic NTK)
     * keeps that state, as Transformers' cache does; the evaluator runs such models without rewinding.
     */
    public void rewind(int keep) {
        cache.truncate(keep);
    }

    /** Runs {@code tokens} and returns their logits, {@code [tokens.length, vocab]} row-major. */
    public float[] forward(int[] tokens) {
        return forward(tokens, tokens.length);
    }

    /**
     * Runs {@code tokens} (at least one) and returns the logits of the last only, {@code [vocab]}: the same
     * values as the last row of {@link #forward}, without the output head for the others (what a prompt
     * before generation needs, and what {@code llama-bench} times as prompt processing).
     */
    public float[] forwardLast(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no tokens");
        }
        return forward(tokens, 1);
    }

    /**
     * Runs {@code tokens} and returns the logits of the last {@code lastRows} of them only,
     * {@code [lastRows, vocab]}: the same numbers as those rows of {@link #forward(int[])}. The other tokens'
     * keys and values are cached, but the last layer does nothing after attention for them and the output head
     * never sees them, as in llama.cpp's graph (evaluation reads one row after a long context).
     */
    public float[] forward(int[] tokens, int lastRows) {
        int n = tokens.length;
        if (lastRows < 0 || lastRows > n) {
            throw new IllegalArgumentException("lastRows " + lastRows + " of " + n + " tokens");
        }
        if (n == 0) {
            return new float[0];
        }
        int start = cache.length();
        int seqLen = Math.addExact(start, n);
        float[][] globalTables = Rotary.tables(globalRope.frequencies(seqLen), start, n);
        float[][] localTables = localRope == globalRope ? globalTables
                : Rotary.tables(localRope.frequencies(seqLen), start, n);
        cache.reserve(n);

        int h = d.hidden();
        float[] x = embed(tokens);
        int rows = n;   // token rows still carried: all, or only the wanted ones through the last layer
        for (int l = 0; l < d.layers(); l++) {
            LayerWeights w = model.weights().layers()[l];
            int keep = l == d.layers() - 1 ? lastRows : n;
            float[] a = attention(l, w, w.attnNorm() == null ? x : rmsNorm(x, n, h, w.attnNorm()), n, start,
                    d.slidingLayers()[l] ? localTables : globalTables, keep);
            if (keep < n) {
                x = Arrays.copyOfRange(x, (n - keep) * h, n * h);
                rows = keep;
            }
            if (rows == 0) {
                break;   // a prefill whose logits nobody reads: the cache has every layer's keys and values
            }
            if (w.attnPostNorm() != null) {
                a = rmsNorm(a, rows, h, w.attnPostNorm());
            }
            addScaled(x, a, d.residualMultiplier());
            float[] in = w.mlpNorm() == null ? x : rmsNorm(x, rows, h, w.mlpNorm());
            float[] m = d.sparseLayers()[l] ? Experts.forward(model, w, in, rows) : mlp(w, in, rows);
            if (w.mlpPostNorm() != null) {
                m = rmsNorm(m, rows, h, w.mlpPostNorm());
            }
            addScaled(x, m, d.residualMultiplier());
        }
        cache.advance(n);
        if (lastRows == 0) {
            return new float[0];
        }
        float[] normed = rmsNorm(x, lastRows, h, model.weights().finalNorm());
        float[] logits = new float[lastRows * d.vocab()];
        model.matMul().multiply(model.weights().lmHead(), normed, lastRows, logits);
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i] / d.logitsDivisor();
            if (d.finalSoftcap() > 0) {
                v = (float) (Math.tanh(v / d.finalSoftcap()) * d.finalSoftcap());
            }
            logits[i] = v;
        }
        return logits;
    }

    private float[] embed(int[] tokens) {
        int h = d.hidden();
        TensorRef e = model.weights().embed();
        float[] x = new float[tokens.length * h];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= e.shape()[0]) {
                throw MergeLabException.input("token id " + id + " is outside the vocabulary (0.." + (e.shape()[0] - 1) + ")", null);
            }
            if (e.isVerbatim()) {
                Codecs.decode(e.dtype(), e.data(), (long) id * h, x, t * h, h);
            } else {
                e.decodeRows(id, 1, x, t * h); // quantized (GGUF) or patched: the row decoded as stored
            }
        }
        if (d.embeddingScale() != 1f) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= d.embeddingScale();
            }
        }
        return x;
    }

    /** Attention output for the last {@code outRows} of the n tokens (all n are cached). */
    private float[] attention(int layer, LayerWeights w, float[] in, int n, int start, float[][] rope, int outRows) {
        int qd = d.qDim();
        int kvd = d.kvDim();
        float[] q = new float[n * qd];
        float[] k = new float[n * kvd];
        float[] v = new float[n * kvd];
        if (w.qkv() != null) {
            float[] fused = project(w.qkv(), in, n, null);
            int width = qd + 2 * kvd;
            for (int t = 0; t < n; t++) {
                System.arraycopy(fused, t * width, q, t * qd, qd);
                System.arraycopy(fused, t * width + qd, k, t * kvd, kvd);
                System.arraycopy(fused, t * width + qd + kvd, v, t * kvd, kvd);
            }
        } else {
            model.matMul().multiply(w.q(), in, n, q);
            model.matMul().multiply(w.k(), in, n, k);
            model.matMul().multiply(w.v(), in, n, v);
            addBias(q, w.qBias());
            addBias(k, w.kBias());
            addBias(v, w.vBias());
        }
        switch (d.spec().qkNorm()) {
            case "per_head" -> {
                q = rmsNorm(q, n * d.heads(), d.headDim(), w.qNorm());
                k = rmsNorm(k, n * d.kvHeads(), d.headDim(), w.kNorm());
            }
            case "whole" -> {
                q = rmsNorm(q, n, qd, w.qNorm());
                k = rmsNorm(k, n, kvd, w.kNorm());
            }
            default -> {
            }
        }
        Rotary.apply(q, n, d.heads(), d.headDim(), rope);
        Rotary.apply(k, n, d.kvHeads(), d.headDim(), rope);
        cache.put(layer, k, v, n);
        if (outRows == 0) {
            return new float[0];
        }
        int queries = outRows;
        int first = start + n - outRows;
        if (outRows < n) {
            q = Arrays.copyOfRange(q, (n - outRows) * qd, n * qd);
        }
        float[] out = Attention.compute(model.workers(), d, q, cache.keys(layer), cache.values(layer), queries, first,
                d.slidingLayers()[layer] ? d.slidingWindow() : 0);
        return project(w.o(), out, queries, w.oBias());
    }

    private float[] mlp(LayerWeights w, float[] in, int n) {
        float[] hidden;
        int width;
        if (w.gateUp() != null) {
            width = (int) w.gateUp().shape()[0] / 2;
            float[] both = project(w.gateUp(), in, n, null);
            hidden = new float[n * width];
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < width; i++) {
                    // Phi-3: the first half is the gate, the second the up projection
                    hidden[t * width + i] = both[t * 2 * width + width + i] * d.activation().apply(both[t * 2 * width + i]);
                }
            }
        } else {
            float[] g = project(w.gate(), in, n, w.gateBias());
            float[] u = project(w.up(), in, n, w.upBias());
            hidden = gated(g, u);
        }
        return project(w.down(), hidden, n, w.downBias());
    }

    /** act(gate) * up, element by element, into {@code gate}. */
    float[] gated(float[] g, float[] u) {
        for (int i = 0; i < g.length; i++) {
            g[i] = d.activation().apply(g[i]) * u[i];
        }
        return g;
    }

    private float[] project(TensorRef weight, float[] in, int n, float[] bias) {
        float[] y = new float[n * (int) weight.shape()[0]];
        model.matMul().multiply(weight, in, n, y);
        addBias(y, bias);
        return y;
    }

    private static void addBias(float[] y, float[] bias) {
        if (bias == null) {
            return;
        }
        for (int i = 0; i < y.length; i++) {
            y[i] += bias[i % bias.length];
        }
    }

    private static void addScaled(float[] x, float[] a, float scale) {
        for (int i = 0; i < x.length; i++) {
            x[i] += scale == 1f ? a[i] : a[i] * scale;
        }
    }

    /**
     * RMSNorm of each of {@code rows} rows of {@code width}: x / sqrt(mean(x^2) + eps) * (offset + w), by
     * {@link MatrixKernels#rmsNorm} (offset 1 is Gemma's 1 + w; every built-in family has 0 or 1).
     */
    float[] rmsNorm(float[] x, int rows, int width, float[] weight) {
        float[] out = new float[rows * width];
        double offset = d.spec().normOffset();
        if (offset != 0 && offset != 1) {
            throw new IllegalStateException("norm_offset " + offset + ": the RMS norm kernel takes 0 or 1");
        }
        float eps = (float) d.normEps();
        for (int r = 0; r < rows; r++) {
            MatrixKernels.rmsNorm(x, r * width, weight, 0, out, r * width, width, eps, offset == 1);
        }
        return out;
    }
}
