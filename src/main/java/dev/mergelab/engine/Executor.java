package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.Workers;
import dev.mergelab.format.PageHints;
import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.FloatKernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Runs a {@link MergePlan}'s jobs on a fixed pool of threads within a heap budget, writing each output
 * tensor straight into its place in the output shards. Reading (page faults on the mmapped parents),
 * computing and writing of different tensors overlap because every worker does all three for its own
 * job. A job reserves its working set (inputs and output as float32; for a chunked job one chunk of
 * each plus what its merge keeps between passes) from a byte budget before it starts, so heap use
 * stays bounded whatever the model size; a job larger than the whole budget runs alone. A chunked
 * job's passes are shared with idle workers ({@link CombineSplit}), so the last large tensors of a
 * merge, or the one tensor of an in-memory merge, use every core. Output goes to a
 * {@link TensorSink}: the output folder's shards, or memory.
 */
public final class Executor {

    /** Output is encoded and written in pieces of this many elements, so the write buffer stays small. */
    private static final int WRITE_CHUNK = 1 << 20;
    private static final long MIB = 1L << 20;

    /**
     * How to run: worker threads, heap budget for job working sets, and the working-set size above which
     * a job runs chunked (when its method supports it) instead of holding whole float32 copies.
     */
    public record Options(int threads, long memoryBudgetBytes, long chunkAboveBytes, int chunkElements) {
        public Options {
            if (threads < 1 || chunkElements < 1) {
                throw new IllegalArgumentException("threads and chunk size must be >= 1");
            }
        }

        public Options(int threads, long memoryBudgetBytes) {
            this(threads, memoryBudgetBytes, DEFAULT_CHUNK_ABOVE, CHUNK_ELEMENTS);
        }
    }

    /** Jobs whose float32 working set exceeds this run chunked when the method allows it. */
    public static final long DEFAULT_CHUNK_ABOVE = 64L << 20;
    /** Chunked jobs mapping more input bytes than this release decoded pages in every pass, not just the last. */
    static final long RELEASE_EVERY_PASS_ABOVE = 256L << 20;
    /** Elements per input per chunk: 128 KiB of float32, so a chunk of every input and the deltas stay in cache (measured: 32K elements merged ties 2.3x faster than 1M). */
    public static final int CHUNK_ELEMENTS = 1 << 15;

    private Executor() {
    }

    /** Runs every job of {@code plan} into {@code out}. */
    public static void run(MergePlan plan, TensorCompute compute, TensorSink out, Options opts, ProgressListener progress) {
        progress.started(plan.jobs().size(), plan.inputBytes(), plan.outputBytes());
        int budgetMib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, opts.memoryBudgetBytes() / MIB));
        Semaphore budget = new Semaphore(budgetMib, true);
        ExecutorService pool = Workers.pool(opts.threads(), "merge-worker");
        List<Future<?>> futures = new ArrayList<>(plan.jobs().size());
        try {
            for (TensorJob job : StartOrder.of(plan.jobs())) {
                futures.add(pool.submit(() -> {
                    ChunkedMerge chunked = chunkedForm(job, compute, opts, progress);
                    long heap = chunked != null
                            ? (job.inputs().size() + 1L) * opts.chunkElements() * 4 + chunked.stateBytes()
                            : job.workingBytes();
                    int need = (int) Math.min(budgetMib, Math.max(1, (heap + MIB - 1) / MIB));
                    budget.acquireUninterruptibly(need);
                    try {
                        runJob(job, compute, chunked, opts, pool, out, progress);
                    } finally {
                        budget.release(need);
                    }
                    progress.tensorDone(job);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("merge interrupted", e);
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Runs one job into {@code out} on the calling thread, with {@code helpers} taking parts of a large
     * tensor's combine pass (the lazy child merges tensor by tensor this way).
     */
    static void runOne(TensorJob job, TensorCompute compute, TensorSink out, Options opts, ExecutorService helpers,
            ProgressListener progress) {
        try {
            runJob(job, compute, chunkedForm(job, compute, opts, progress), opts, helpers, out, progress);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            throw unwrap(e);
        }
    }

    /** The job's chunked merge when it is large enough and its inputs can be read in row chunks, else null. */
    private static ChunkedMerge chunkedForm(TensorJob job, TensorCompute compute, Options opts, ProgressListener progress) {
        return !job.copy() && job.workingBytes() > opts.chunkAboveBytes() && ChunkReader.canRead(job)
                ? compute.chunked(job, progress::warning) : null;
    }

    /** A worker's failure as what the caller throws: RuntimeExceptions and Errors as they are, heap exhaustion as a user error. */
    private static RuntimeException unwrap(Throwable cause) {
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof IOException io) {
            return new UncheckedIOException(io);
        }
        if (cause instanceof Error err) {
            throw err; // OutOfMemoryError included: the CLI reports it in one line (exit 1)
        }
        return new IllegalStateException(cause);
    }

    private static void runJob(TensorJob job, TensorCompute compute, ChunkedMerge chunked, Options opts, ExecutorService helpers,
            TensorSink out, ProgressListener progress) throws IOException {
        for (PlannedInput in : job.inputs()) {
            PageHints.willNeed(in.ref().data()); // start disk reads now; the kernel reads ahead while we compute
        }
        try {
            if (job.copy()) {
                copyBytes(job, out);
                return;
            }
            if (chunked != null) {
                runChunked(job, chunked, () -> compute.chunked(job, w -> { }), opts, helpers, out, progress);
                return;
            }
            float[][] inputs = new float[job.inputs().size()][];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = decode(job.inputs().get(i).ref());
            }
            if (job.vocabRows() >= 0) {
                inputs = VocabularyRows.resize(job, inputs);
            }
            float[] result = compute.compute(job, inputs, progress::warning);
            if (result.length != job.outNumel()) {
                throw new IllegalStateException(job.method() + " returned " + result.length + " values for "
                        + job.outputName() + ", expected " + job.outNumel());
            }
            checkFinite(job, result, result.length, inputs, progress);
            writeFloats(job, result, 0, result.length, 0, out);
        } catch (InternalError e) {
            // SIGBUS on a mapping (an input truncated meanwhile) arrives as InternalError: name the file.
            for (PlannedInput in : job.inputs()) {
                in.ref().file().checkUnchanged(e);
            }
            throw e;
        } finally {
            for (PlannedInput in : job.inputs()) {
                PageHints.dontNeed(in.ref().data()); // keep RSS bounded: the bytes stay in the page cache
            }
        }
    }

    /**
     * Statistics passes then the combine pass, over row chunks decoded straight from the mmapped inputs.
     * Each pass is shared among threads when the merge allows it ({@link CombineSplit}): a statistics
     * pass after its first chunk through observers, the combine pass through combiners.
     */
    private static void runChunked(TensorJob job, ChunkedMerge merge, Supplier<ChunkedMerge> replan, Options opts,
            ExecutorService helpers, TensorSink out, ProgressListener progress) throws IOException {
        ChunkReader reader = new ChunkReader(job, opts.chunkElements());
        // A merge with no statistics pass is a pure function of each chunk: planning it again gives an
        // independent combiner. One with statistics must hand out combiners sharing them, or run alone.
        boolean replannable = merge.statisticPasses() == 0;
        // The combine pass is the last look at the inputs, so its decoded pages can go at once; statistics
        // passes release theirs too when the job maps a lot (they fault back in cheaply next pass).
        boolean releaseEveryPass = mappedBytes(job) > RELEASE_EVERY_PASS_ABOVE;
        for (int pass = 0; pass < merge.statisticPasses(); pass++) {
            // The first chunk first, on this thread: a merge may take guesses from it for the rest.
            int first = reader.read(0, releaseEveryPass);
            merge.observe(pass, 0, first, reader.buffers());
            List<ChunkedMerge> observers = helperMerges(reader, opts, reader.chunkRows(), pass, merge::observer);
            if (observers != null) {
                int p = pass;
                new CombineSplit(job, reader, merge, observers, opts, reader.chunkRows(), releaseEveryPass,
                        (m, rd, r, n, result) -> m.observe(p, r, n, rd.buffers())).run(helpers);
                for (ChunkedMerge o : observers) {
                    merge.absorb(pass, o);
                }
            } else {
                for (long r = reader.chunkRows(); r < reader.rows(); r += reader.chunkRows()) {
                    int n = reader.read(r, releaseEveryPass);
                    merge.observe(pass, r, n, reader.buffers());
                }
            }
            merge.endPass(pass);
        }
        List<ChunkedMerge> combiners = helperMerges(reader, opts, 0, -1,
                p -> replannable ? replan.get() : merge.combiner());
        if (combiners != null) {
            new CombineSplit(job, reader, merge, combiners, opts, 0, true,
                    (m, rd, r, n, result) -> combineChunk(job, m, rd, r, n, result, out, progress)).run(helpers);
            return;
        }
        float[] result = new float[reader.chunkRows() * reader.rowLength()];
        for (long r = 0; r < reader.rows(); r += reader.chunkRows()) {
            int n = reader.read(r, true);
            combineChunk(job, merge, reader, r, n, result, out, progress);
        }
    }

    /**
     * The merges for the helpers of a pass over rows from {@code fromRow} on, made here on the job's
     * thread ({@code make} gets the pass); null when the pass stays on one thread (one thread, too few
     * chunks, or the merge hands out none).
     */
    private static List<ChunkedMerge> helperMerges(ChunkReader reader, Options opts, long fromRow, int pass,
            IntFunction<ChunkedMerge> make) {
        if (opts.threads() < 2 || !CombineSplit.worthSplitting(reader, fromRow)) {
            return null;
        }
        int count = CombineSplit.helpersFor(reader, opts, fromRow);
        List<ChunkedMerge> merges = new ArrayList<>(count);
        for (int h = 0; h < count; h++) {
            ChunkedMerge m = make.apply(pass);
            if (m == null) {
                return null;
            }
            merges.add(m);
        }
        return merges.isEmpty() ? null : merges;
    }

    /** Combines the n rows from row r that {@code reader} holds, checks them, and writes them. */
    static void combineChunk(TensorJob job, ChunkedMerge merge, ChunkReader reader, long r, int n, float[] result, TensorSink out,
            ProgressListener progress) throws IOException {
        merge.combine(r, n, reader.buffers(), result);
        int count = n * reader.rowLength();
        checkFinite(job, result, count, reader.buffers(), progress);
        writeFloats(job, result, 0, count, r * reader.rowLength(), out);
    }

    /** The input bytes a job maps (LoRA factors aside). */
    private static long mappedBytes(TensorJob job) {
        long bytes = 0;
        for (PlannedInput in : job.inputs()) {
            bytes += in.ref().data().byteSize();
        }
        return bytes;
    }

    static float[] decode(TensorRef ref) {
        long n = ref.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw MergeLabException.input("tensor '" + ref.name() + "' has " + n + " elements; MergeLab merges tensors of up to 2^31 elements",
                    "split the tensor or file an issue");
        }
        float[] v = new float[(int) n];
        ref.decodeInto(v); // applies a LoRA patch when the ref carries one
        return v;
    }

    /** NaN/Inf in the output is an error unless a parent already had them (then only a warning). */
    private static void checkFinite(TensorJob job, float[] result, int count, float[][] inputs, ProgressListener progress) {
        if (FloatKernels.allFinite(result, count)) {
            return;
        }
        for (float[] in : inputs) {
            if (!FloatKernels.allFinite(in, in.length)) {
                progress.warning(job.outputName() + ": output has NaN/Inf values because a parent already has them");
                return;
            }
        }
        throw MergeLabException.input(job.method() + " produced NaN/Inf in " + job.outputName() + " from finite parents",
                "check the method's parameters (weights summing to zero, extreme t or lambda)");
    }

    /**
     * One native write buffer per worker, reused for every tensor: native so the vector encoders store
     * with intrinsics and the file write needs no extra copy into a temporary direct buffer.
     */
    private static final ThreadLocal<ByteBuffer> WRITE_BUFFER = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(WRITE_CHUNK * Double.BYTES));

    /** Encodes {@code result[from, from+count)} and writes it at element {@code outElement} of the output tensor. */
    private static void writeFloats(TensorJob job, float[] result, int from, int count, long outElement, TensorSink out)
            throws IOException {
        int size = job.outDtype().size();
        int chunk = Math.max(1, Math.min(WRITE_CHUNK, count));
        ByteBuffer buf = WRITE_BUFFER.get().clear();
        MemorySegment seg = MemorySegment.ofBuffer(buf); // the whole buffer: taken before any limit is set
        for (int at = 0; at < count; at += chunk) {
            int c = Math.min(chunk, count - at);
            Codecs.encode(job.outDtype(), result, from + at, c, seg, 0);
            buf.clear().limit(c * size);
            out.write(job.outputName(), (outElement + at) * size, buf);
        }
    }

    private static void copyBytes(TensorJob job, TensorSink out) throws IOException {
        TensorRef ref = job.inputs().get(0).ref();
        MemorySegment src = ref.data();
        long total = src.byteSize();
        long chunk = 8L * WRITE_CHUNK;
        try {
            for (long at = 0; at < total; at += chunk) {
                long c = Math.min(chunk, total - at);
                out.write(job.outputName(), at, src.asSlice(at, c).asByteBuffer());
            }
        } catch (IOException e) {
            // The kernel copies from the mapping: a truncated input fails the write with EFAULT ("Bad address").
            ref.file().checkUnchanged(e);
            throw e;
        }
    }
}
