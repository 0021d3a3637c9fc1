package dev.mergelab.lab;

import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.FloatKernels;

/**
 * Streaming statistics of task vectors δ_i = θ_i − θ_b for one tensor, computed in chunks of whole rows so
 * memory stays bounded whatever the tensor size (a chunk is at least one row): squared norms of the base and each δ_i, pairwise dot products
 * between task vectors, pairwise sign conflicts (both non-zero, opposite signs), and how many elements
 * each model changed at all. Reductions accumulate in double. Values are read through {@link TensorRef}, so a
 * LoRA-adapted model ({@code BASE+ADAPTER}) is measured with its adapter applied.
 */
public final class TaskVectorStats {

    /** Elements per chunk; a row longer than this is a chunk of its own. */
    private static final int CHUNK = 1 << 15;

    public final int models;
    public long elements;
    public double baseSq;
    public final double[] deltaSq;
    /** Upper-triangular pairwise dot products, index {@link #pair(int, int)}. */
    public final double[] dots;
    public final long[] conflicts;
    public final long[] bothNonZero;
    public final long[] changed;

    public TaskVectorStats(int models) {
        this.models = models;
        this.deltaSq = new double[models];
        int pairs = models * (models - 1) / 2;
        this.dots = new double[pairs];
        this.conflicts = new long[pairs];
        this.bothNonZero = new long[pairs];
        this.changed = new long[models];
    }

    public int pair(int i, int j) {
        // index of (i, j), i < j, in row-major upper-triangular order
        return i * models - i * (i + 1) / 2 + (j - i - 1);
    }

    /** Accumulates one tensor: {@code base} and the same-shaped tensor of every model. */
    public void add(TensorRef base, TensorRef[] others) {
        long rows = base.numel() == 0 ? 0 : base.rows();
        int rowLength = Math.toIntExact(base.rowLength());
        int chunkRows = Math.max(1, CHUNK / Math.max(1, rowLength));
        int size = Math.toIntExact(Math.min(rows, chunkRows) * rowLength);
        TensorRef.RowReader baseRows = base.rowReader();
        TensorRef.RowReader[] otherRows = new TensorRef.RowReader[models];
        for (int m = 0; m < models; m++) {
            otherRows[m] = others[m].rowReader();
        }
        float[] b = new float[size];
        float[][] d = new float[models][size];
        for (long row = 0; row < rows; row += chunkRows) {
            int r = (int) Math.min(chunkRows, rows - row);
            int c = r * rowLength;
            baseRows.read(row, r, b, 0);
            for (int m = 0; m < models; m++) {
                otherRows[m].read(row, r, d[m], 0);
                FloatKernels.sub(d[m], 0, b, 0, d[m], 0, c);
                deltaSq[m] += FloatKernels.sumSquares(d[m], 0, c);
                changed[m] += FloatKernels.countMagnitudeAbove(d[m], 0, c, 0); // the elements != 0f
            }
            baseSq += FloatKernels.sumSquares(b, 0, c);
            for (int i = 0; i < models; i++) {
                for (int j = i + 1; j < models; j++) {
                    int p = pair(i, j);
                    dots[p] += FloatKernels.dot(d[i], 0, d[j], 0, c);
                    conflicts[p] += FloatKernels.countSignConflicts(d[i], d[j], c);
                    bothNonZero[p] += FloatKernels.countBothNonZero(d[i], d[j], c);
                }
            }
        }
        elements += base.numel();
    }

    /** Adds another accumulator's sums into this one. */
    public void merge(TaskVectorStats o) {
        elements += o.elements;
        baseSq += o.baseSq;
        for (int i = 0; i < models; i++) {
            deltaSq[i] += o.deltaSq[i];
            changed[i] += o.changed[i];
        }
        for (int p = 0; p < dots.length; p++) {
            dots[p] += o.dots[p];
            conflicts[p] += o.conflicts[p];
            bothNonZero[p] += o.bothNonZero[p];
        }
    }

    public double deltaNorm(int i) {
        return Math.sqrt(deltaSq[i]);
    }

    /** ‖δ_i‖ / ‖θ_b‖: how far model i moved from the base. */
    public double relativeDelta(int i) {
        return baseSq > 0 ? Math.sqrt(deltaSq[i] / baseSq) : 0;
    }

    public double cosine(int i, int j) {
        double den = Math.sqrt(deltaSq[i] * deltaSq[j]);
        return den > 0 ? dots[pair(i, j)] / den : 0;
    }

    public double signConflictRate(int i, int j) {
        long both = bothNonZero[pair(i, j)];
        return both > 0 ? (double) conflicts[pair(i, j)] / both : 0;
    }

    public double changedFraction(int i) {
        return elements > 0 ? (double) changed[i] / elements : 0;
    }
}
