package dev.mergelab.method;

import dev.mergelab.method.kernel.Sparsifier;
import dev.mergelab.tensor.FloatKernels;

/**
 * The chunked front half shared by the task-vector methods (mergekit's generalized task arithmetic and
 * PEFT's merges): per chunk, δ_i = θ_i − θ_b into reused scratch rows; the statistics passes feed each
 * model's sparsifier; the combine pass gets the pruned δ'_i. Subclasses say only how to combine them.
 */
abstract class PrunedTaskVectors extends RowMerge {

    /** Index of the base among the inputs. */
    final int base;
    /** Indices of the task-vector models among the inputs, in order. */
    final int[] models;
    private final Sparsifier[] thin;
    /** δ_i of the current chunk (pruned after {@link #prunedDeltas}). */
    final float[][] delta;

    PrunedTaskVectors(long[] shape, int base, int[] models, Sparsifier[] thin) {
        super(shape);
        this.base = base;
        this.models = models;
        this.thin = thin;
        this.delta = new float[models.length][];
    }

    @Override
    public final int statisticPasses() {
        int passes = 0;   // each sparsifier's count may drop as its passes end
        for (Sparsifier s : thin) {
            passes = Math.max(passes, s.passes());
        }
        return passes;
    }

    @Override
    public final long stateBytes() {
        long bytes = 0;
        for (Sparsifier s : thin) {
            bytes += s.stateBytes();
        }
        return bytes;
    }

    private int deltas(int rows, float[][] inputs) {
        int n = rows * rowLength;
        for (int i = 0; i < models.length; i++) {
            delta[i] = grow(delta[i], n);
            FloatKernels.sub(inputs[models[i]], 0, inputs[base], 0, delta[i], 0, n);
        }
        return n;
    }

    @Override
    public final void observe(int pass, long rowStart, int rows, float[][] inputs) {
        int n = deltas(rows, inputs);
        for (int i = 0; i < models.length; i++) {
            if (pass < thin[i].passes()) {
                thin[i].observe(pass, position(rowStart), delta[i], n);
            }
        }
    }

    @Override
    public final void endPass(int pass) {
        for (Sparsifier s : thin) {
            if (pass < s.passes()) {
                s.endPass(pass);
            }
        }
    }

    /**
     * An observer of pass {@code pass}: the same merge over the sparsifiers' observers (those not in this
     * pass are shared and left alone), with scratch of its own; null when one of them must see the
     * chunks in order, or the subclass makes no copies.
     */
    @Override
    public final ChunkedMerge observer(int pass) {
        Sparsifier[] observers = new Sparsifier[thin.length];
        for (int i = 0; i < thin.length; i++) {
            observers[i] = pass < thin[i].passes() ? thin[i].observer(pass) : thin[i];
            if (observers[i] == null) {
                return null;
            }
        }
        return withSparsifiers(observers);
    }

    @Override
    public final void absorb(int pass, ChunkedMerge observer) {
        PrunedTaskVectors o = (PrunedTaskVectors) observer;
        for (int i = 0; i < thin.length; i++) {
            if (pass < thin[i].passes()) {
                thin[i].absorb(pass, o.thin[i]);
            }
        }
    }

    /**
     * A combiner sharing the sparsifiers' statistics ({@link Sparsifier#applier}) with scratch of its own,
     * or null when a sparsifier must apply in order or the subclass does not make copies.
     */
    @Override
    public final ChunkedMerge combiner() {
        Sparsifier[] appliers = new Sparsifier[thin.length];
        for (int i = 0; i < thin.length; i++) {
            appliers[i] = thin[i].applier();
            if (appliers[i] == null) {
                return null;
            }
        }
        return withSparsifiers(appliers);
    }

    /** The same merge over other (equivalent) sparsifiers, or null when the subclass makes no copies. */
    PrunedTaskVectors withSparsifiers(Sparsifier[] appliers) {
        return null;
    }

    /** Fills {@link #delta} with this chunk's pruned task vectors; returns the element count. */
    final int prunedDeltas(long rowStart, int rows, float[][] inputs) {
        int n = deltas(rows, inputs);
        for (int i = 0; i < models.length; i++) {
            thin[i].apply(position(rowStart), delta[i], n);
        }
        return n;
    }
}
