package dev.mergelab.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Runs a row-range kernel ({@link MatrixKernels#matvec}, {@link MatrixKernels#matmul}) over all rows on a
 * pool. Every output row is computed by exactly one task with the same arithmetic whatever the range it
 * falls in, so the result does not depend on the number of threads or on scheduling; the split only
 * decides the speed. Ranges are multiples of {@value #ROW_GRAIN} rows (the kernels' row block).
 */
public final class ParallelRows {

    /** The kernels work on four rows at a time; ranges start on such a block. */
    static final int ROW_GRAIN = 4;

    /** A kernel over rows [from, to). */
    @FunctionalInterface
    public interface RowTask {
        void run(int from, int to);
    }

    private ParallelRows() {
    }

    /**
     * Runs {@code task} over [0, rows) in {@code parts} ranges of near-equal size (rounded to the row
     * grain) on {@code pool}, the calling thread taking the first, and returns when all are done.
     * {@code parts ≤ 1} runs everything on the calling thread. An exception in a task is rethrown.
     */
    public static void run(ExecutorService pool, int rows, int parts, RowTask task) {
        if (rows < 0) {
            throw new IllegalArgumentException("negative row count " + rows);
        }
        int blocks = (rows + ROW_GRAIN - 1) / ROW_GRAIN;
        int n = Math.max(1, Math.min(parts, blocks));
        if (n == 1) {
            task.run(0, rows);
            return;
        }
        List<Future<?>> others = new ArrayList<>(n - 1);
        for (int p = 1; p < n; p++) {
            int from = bound(p, n, blocks, rows);
            int to = bound(p + 1, n, blocks, rows);
            others.add(pool.submit(() -> task.run(from, to)));
        }
        task.run(0, bound(1, n, blocks, rows));
        try {
            for (Future<?> f : others) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for row ranges", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The first row of part p of n: blocks shared out evenly, the last part ending at {@code rows}. */
    static int bound(int p, int n, int blocks, int rows) {
        return (int) Math.min(rows, (long) blocks * p / n * ROW_GRAIN);
    }
}
