package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs a {@link MergePlan}'s jobs on a fixed pool of threads within a heap budget, writing each output
 * tensor straight into its place in the output shards. Reading (page faults on the mmapped parents),
 * computing and writing of different tensors overlap because every worker does all three for its own
 * job. A job reserves its working set (inputs and output as float32) from a byte budget before it
 * starts, so heap use stays bounded whatever the model size; a job larger than the whole budget runs
 * alone.
 */
public final class Executor {

    /** Output is encoded and written in pieces of this many elements, so the write buffer stays small. */
    private static final int WRITE_CHUNK = 1 << 20;
    private static final long MIB = 1L << 20;

    /** How to run: worker threads and heap budget for job working sets. */
    public record Options(int threads, long memoryBudgetBytes) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1");
            }
        }
    }

    private Executor() {
    }

    public static void run(MergePlan plan, TensorCompute compute, ShardedWriter out, Options opts, ProgressListener progress) {
        progress.started(plan.jobs().size(), plan.inputBytes(), plan.outputBytes());
        int budgetMib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, opts.memoryBudgetBytes() / MIB));
        Semaphore budget = new Semaphore(budgetMib, true);
        ExecutorService pool = Executors.newFixedThreadPool(opts.threads(), r -> {
            Thread t = new Thread(r, "merge-worker");
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> futures = new ArrayList<>(plan.jobs().size());
        try {
            for (TensorJob job : plan.jobs()) {
                futures.add(pool.submit(() -> {
                    int need = (int) Math.min(budgetMib, Math.max(1, (job.workingBytes() + MIB - 1) / MIB));
                    budget.acquireUninterruptibly(need);
                    try {
                        runJob(job, compute, out, progress);
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
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw new IllegalStateException(cause);
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void runJob(TensorJob job, TensorCompute compute, ShardedWriter out, ProgressListener progress)
            throws IOException {
        if (job.copy()) {
            copyBytes(job, out);
            return;
        }
        float[][] inputs = new float[job.inputs().size()][];
        for (int i = 0; i < inputs.length; i++) {
            TensorRef ref = job.inputs().get(i).ref();
            try {
                inputs[i] = decode(ref);
            } catch (InternalError e) {
                // SIGBUS on a mapping (the input was truncated meanwhile) arrives as InternalError: name the file.
                ref.file().checkUnchanged(e);
                throw e;
            }
        }
        float[] result = compute.compute(job, inputs, progress::warning);
        if (result.length != job.outNumel()) {
            throw new IllegalStateException(job.method() + " returned " + result.length + " values for "
                    + job.outputName() + ", expected " + job.outNumel());
        }
        checkFinite(job, result, inputs, progress);
        writeFloats(job, result, out);
    }

    static float[] decode(TensorRef ref) {
        long n = ref.numel();
        if (n > Integer.MAX_VALUE - 16) {
            throw MergeLabException.input("tensor '" + ref.name() + "' has " + n + " elements; MergeLab merges tensors of up to 2^31 elements",
                    "split the tensor or file an issue");
        }
        float[] v = new float[(int) n];
        Codecs.decode(ref.dtype(), ref.data(), 0, v, 0, (int) n);
        return v;
    }

    /** NaN/Inf in the output is an error unless a parent already had them (then only a warning). */
    private static void checkFinite(TensorJob job, float[] result, float[][] inputs, ProgressListener progress) {
        if (allFinite(result)) {
            return;
        }
        for (float[] in : inputs) {
            if (!allFinite(in)) {
                progress.warning(job.outputName() + ": output has NaN/Inf values because a parent already has them");
                return;
            }
        }
        throw MergeLabException.input(job.method() + " produced NaN/Inf in " + job.outputName() + " from finite parents",
                "check the method's parameters (weights summing to zero, extreme t or lambda)");
    }

    private static boolean allFinite(float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }

    private static void writeFloats(TensorJob job, float[] result, ShardedWriter out) throws IOException {
        int size = job.outDtype().size();
        int chunk = (int) Math.min(WRITE_CHUNK, result.length);
        ByteBuffer buf = ByteBuffer.allocate(Math.max(1, chunk) * size);
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        for (int at = 0; at < result.length; at += chunk) {
            int c = Math.min(chunk, result.length - at);
            Codecs.encode(job.outDtype(), result, at, c, seg, 0);
            buf.clear().limit(c * size);
            out.write(job.outputName(), (long) at * size, buf);
        }
    }

    private static void copyBytes(TensorJob job, ShardedWriter out) throws IOException {
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
