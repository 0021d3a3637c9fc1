package dev.mergelab.engine;

import dev.mergelab.method.ChunkedMerge;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One pass of a tensor's chunked merge shared among threads: a statistics pass after its first chunk
 * (through the merge's {@link ChunkedMerge#observer}s, whose statistics the job's merge then absorbs) or
 * the combine pass (through {@link ChunkedMerge#combiner}s). The rows are cut into segments of whole
 * chunks, and the job's own thread and helpers (tasks on the merge's worker pool) take segments in
 * turn, each with its own {@link ChunkReader} and merge. The chunks are those of the one-thread pass,
 * so the output bytes are too: a combiner combines a chunk exactly as the job's merge does (given the
 * statistics, a chunk's output depends only on its rows), and observers' statistics add exactly.
 *
 * <p>Helpers queue behind the pool's waiting jobs, so in a full merge they run only when a worker would
 * otherwise idle (the last large tensors), and in a one-tensor merge on every core. The job's thread
 * never waits for a helper that has not started: it takes every segment left, then waits only for
 * helpers still working on theirs. A helper holds one chunk of every input and of the output, like a
 * job's thread, and its merge's scratch or partial statistics, besides the budget the job reserved; at
 * most {@code threads - 1} run at once.
 */
final class CombineSplit {

    /** What a thread does with each chunk it takes: the rows {@code [row, row + n)} that {@code reader} holds. */
    interface ChunkWork {
        void chunk(ChunkedMerge merge, ChunkReader reader, long row, int n, float[] result) throws IOException;
    }

    /** A thread takes about this many input bytes at a time and releases their pages when done. */
    private static final long SEGMENT_BYTES = ChunkReader.RELEASE_STEP;

    private final TensorJob job;
    private final ChunkReader reader;
    private final ChunkedMerge merge;
    private final List<ChunkedMerge> helperMerges;
    private final Executor.Options opts;
    private final ChunkWork work;
    private final boolean release;
    private final long fromRow;
    private final long segmentRows;
    private final long segments;
    private final AtomicLong next = new AtomicLong();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /**
     * @param merge        the job's merge; works on the job's thread
     * @param helperMerges one merge per helper to start (observers or combiners), made on the job's thread
     * @param fromRow      the first row to share (a multiple of the chunk rows)
     * @param release      whether a thread releases the pages of each segment it finished
     */
    CombineSplit(TensorJob job, ChunkReader reader, ChunkedMerge merge, List<ChunkedMerge> helperMerges, Executor.Options opts,
            long fromRow, boolean release, ChunkWork work) {
        this.job = job;
        this.reader = reader;
        this.merge = merge;
        this.helperMerges = helperMerges;
        this.opts = opts;
        this.work = work;
        this.release = release;
        this.fromRow = fromRow;
        this.segmentRows = segmentRows(reader, opts.threads());
        this.segments = Math.max(0, (reader.rows() - fromRow + segmentRows - 1) / segmentRows);
    }

    /** Whether rows from {@code fromRow} on hold at least two chunks to share. */
    static boolean worthSplitting(ChunkReader reader, long fromRow) {
        return reader.rows() - fromRow > reader.chunkRows();
    }

    /** Helpers worth starting for rows from {@code fromRow} on: one less than the segments, at most threads - 1. */
    static int helpersFor(ChunkReader reader, Executor.Options opts, long fromRow) {
        long rowsPerSegment = segmentRows(reader, opts.threads());
        long segments = (reader.rows() - fromRow + rowsPerSegment - 1) / rowsPerSegment;
        return (int) Math.max(0, Math.min(opts.threads() - 1, segments - 1));
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

    /** Works through every chunk from {@code fromRow} on with the helpers, on {@code pool}; throws the first failure. */
    void run(ExecutorService pool) throws IOException {
        for (ChunkedMerge m : helperMerges) {
            try {
                pool.execute(() -> help(m));
            } catch (RejectedExecutionException e) {
                break;   // the pool is shutting down (another job failed): the job's thread does the rest
            }
        }
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

    private void help(ChunkedMerge m) {
        active.incrementAndGet();
        try {
            // Registered first, then checked: the job's thread waits for every helper registered before it
            // ran out of segments, and one registering later finds none left (and leaves its merge untouched).
            if (next.get() < segments && failure.get() == null) {
                work(m, new ChunkReader(job, opts.chunkElements()));
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

    /** Takes segments until none is left, working through their chunks in order. */
    private void work(ChunkedMerge m, ChunkReader rd) throws IOException {
        float[] result = new float[rd.chunkRows() * rd.rowLength()];
        for (long s = next.getAndIncrement(); s < segments; s = next.getAndIncrement()) {
            long from = fromRow + s * segmentRows;
            long to = Math.min(rd.rows(), from + segmentRows);
            for (long r = from; r < to && failure.get() == null; r += rd.chunkRows()) {
                int n = rd.read(r, false);
                work.chunk(m, rd, r, n, result);
            }
            if (release) {
                rd.release(from, to);
            }
        }
    }
}
