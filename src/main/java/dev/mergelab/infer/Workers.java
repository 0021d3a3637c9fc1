package dev.mergelab.infer;

import dev.mergelab.tensor.ParallelRows;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The threads of one forward pass. Work is handed out as independent indices (output rows, heads), each
 * computed whole by one thread in a fixed order, so the result is the same for any thread count.
 */
public final class Workers implements AutoCloseable {

    private final ForkJoinPool pool;

    public Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        this.pool = dev.mergelab.Workers.forkJoin(threads, "forward");
    }

    /** All cores. */
    public static Workers allCores() {
        return new Workers(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return pool.getParallelism();
    }

    /** Runs {@code body} for every index in [0, count); returns when all are done. */
    public void forEach(int count, IntConsumer body) {
        if (count == 1 || pool.getParallelism() == 1) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        pool.submit(() -> IntStream.range(0, count).parallel().forEach(body)).join();
    }

    /**
     * Runs a row-range kernel over [0, rows), one range per thread ({@link ParallelRows}), the calling
     * thread taking the first; must be called from outside this pool (the forward pass's own thread).
     */
    public void rows(int rows, ParallelRows.RowTask task) {
        ParallelRows.run(pool, rows, pool.getParallelism(), task);
    }

    @Override
    public void close() {
        pool.shutdown();
    }
}
