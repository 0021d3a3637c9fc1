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
 * decides the speed. Ranges are multiples of {@value #ROW_GRAIN} rows (matvec's row block).
 */
public final class ParallelRows {

    /**
     * Matvec works on four rows at a time (matmul on six, then four for what is left), so ranges start on a
     * four-row block; where a range ends only changes which block computes a row, never its bits.
     */
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
     * grain) on {@code pool}, the calling thread taking the first, and returns when all are done, even
     * when one fails: the first failure is then rethrown. {@code parts ≤ 1} runs everything on the
     * calling thread. The caller must not be one of {@code pool}'s threads (it waits for the others).
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
        Throwable failure = null;
        try {
            task.run(0, bound(1, n, blocks, rows));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        boolean interrupted = false;
        for (Future<?> f : others) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;   // finish waiting: the ranges still write into the caller's arrays
                } catch (ExecutionException e) {
                    failure = failure != null ? failure : e.getCause();
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** The first row of part p of n: blocks shared out evenly, the last part ending at {@code rows}. */
    static int bound(int p, int n, int blocks, int rows) {
        return (int) Math.min(rows, (long) blocks * p / n * ROW_GRAIN);
    }
}
