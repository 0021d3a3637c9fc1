package dev.mergelab.engine;

import dev.mergelab.method.ChunkedMerge;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * One tensor's combine pass shared among threads: the rows are cut into segments, and the job's own
 * thread and helpers (tasks on the merge's worker pool) take segments in turn, each with its own
 * {@link ChunkReader} and combiner, writing every chunk to its place in the sink. Output bytes are those
 * of the one-thread pass because a combiner combines a chunk exactly as the job's merge does (given the
 * statistics, a chunk's output depends only on its rows), whichever thread takes it.
 *
 * <p>Helpers queue behind the pool's waiting jobs, so in a full merge they run only when a worker would
 * otherwise idle (the last large tensors), and in a one-tensor merge on every core. The job's thread
 * never waits for a helper that has not started: it takes every segment left, then waits only for
 * helpers still combining theirs. A helper holds one chunk of every input and of the output, like a
 * job's thread, besides the budget the job reserved; at most {@code threads - 1} run at once.
 */
final class CombineSplit {

    /** A thread takes about this many input bytes at a time and releases their pages when done. */
    private static final long SEGMENT_BYTES = ChunkReader.RELEASE_STEP;

    private final TensorJob job;
    private final ChunkReader reader;
    private final ChunkedMerge merge;
    private final Supplier<ChunkedMerge> combiners;
    private final Executor.Options opts;
    private final ProgressListener progress;
    private final TensorSink out;
    private final long segmentRows;
    private final long segments;
    private final AtomicLong next = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private ChunkedMerge firstHelper;

    /**
     * @param merge     the job's merge, after its statistics passes; combines on the job's thread
     * @param probe     a combiner already made, for the first helper
     * @param combiners more combiners, one per further helper
     */
    CombineSplit(TensorJob job, ChunkReader reader, ChunkedMerge merge, ChunkedMerge probe, Supplier<ChunkedMerge> combiners,
            Executor.Options opts, ProgressListener progress, TensorSink out) {
        this.job = job;
        this.reader = reader;
        this.merge = merge;
        this.firstHelper = probe;
        this.combiners = combiners;
        this.opts = opts;
        this.progress = progress;
        this.out = out;
        this.segmentRows = segmentRows(reader, opts.threads());
        this.segments = (reader.rows() + segmentRows - 1) / segmentRows;
    }

    /** Whether the tensor has at least two chunks to share. */
    static boolean worthSplitting(ChunkReader reader) {
        return reader.rows() > reader.chunkRows();
    }

    /**
     * Whole chunks per segment: about four segments per thread so threads finishing early find work, and
     * at most about {@link #SEGMENT_BYTES} of float32 input per input, so pages are released in steps.
     */
    private static long segmentRows(ChunkReader reader, int threads) {
        long chunks = (reader.rows() + reader.chunkRows() - 1) / reader.chunkRows();
        long chunkBytes = (long) reader.chunkRows() * reader.rowLength() * Float.BYTES;
        long most = Math.max(1, SEGMENT_BYTES / Math.max(1, chunkBytes));
        return Math.clamp(chunks / (4L * threads), 1, most) * reader.chunkRows();
    }

    /** Combines every chunk, with up to {@code helpersWanted} helpers from {@code pool}; throws the first failure. */
    void run(ExecutorService pool, int helpersWanted) throws IOException {
        int helpers = (int) Math.min(helpersWanted, segments - 1);
        for (int h = 0; h < helpers; h++) {
            ChunkedMerge given = h == 0 ? firstHelper : null;
            try {
                pool.execute(() -> help(given));
            } catch (RejectedExecutionException e) {
                break;   // the pool is shutting down (another job failed): the job's thread does the rest
            }
        }
        firstHelper = null;
        try {
            work(merge, reader);
        } catch (RuntimeException | Error | IOException e) {
            fail(e);
        }
        synchronized (this) {
            while (active.get() > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("merge interrupted", e);
                }
            }
        }
        Throwable t = failure.get();
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
    }

    private void help(ChunkedMerge given) {
        active.incrementAndGet();
        try {
            // Registered first, then checked: the job's thread waits for every helper registered before it
            // ran out of segments, and one registering later finds none left.
            if (next.get() < segments && failure.get() == null) {
                work(given != null ? given : combiners.get(), new ChunkReader(job, opts.chunkElements()));
            }
        } catch (RuntimeException | Error | IOException e) {
            fail(e);
        } finally {
            synchronized (this) {
                active.decrementAndGet();
                notifyAll();
            }
        }
    }

    private void fail(Throwable e) {
        failure.compareAndSet(null, e);
        next.set(Long.MAX_VALUE / 2);   // the others stop after their current chunk
    }

    /** Takes segments until none is left, combining their chunks in order. */
    private void work(ChunkedMerge m, ChunkReader rd) throws IOException {
        float[] result = new float[rd.chunkRows() * rd.rowLength()];
        for (long s = next.getAndIncrement(); s < segments; s = next.getAndIncrement()) {
            long from = s * segmentRows;
            long to = Math.min(rd.rows(), from + segmentRows);
            for (long r = from; r < to && failure.get() == null; r += rd.chunkRows()) {
                int n = rd.read(r, false);
                Executor.combineChunk(job, m, rd, r, n, result, out, progress);
            }
            rd.release(from, to);
        }
    }
}
