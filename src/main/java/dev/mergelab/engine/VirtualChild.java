package dev.mergelab.engine;

import dev.mergelab.MergeLabException;
import dev.mergelab.Workers;
import dev.mergelab.model.ModelConfig;
import dev.mergelab.model.TensorRef;
import dev.mergelab.model.WeightSource;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * A merge read as if it were a model: a tensor is merged the first time it is asked for, exactly as
 * the merge would write it (same jobs, same executor, so the bytes equal the output folder's), and
 * kept while the cached tensors fit in a byte budget, the least recently used going first. Later code
 * (a forward pass, an evaluation) reads a recipe without a folder being written.
 *
 * <p>One tensor is merged at a time (callers asking meanwhile wait); its combine pass uses every
 * thread the options give. A tensor larger than the budget is returned but not kept.
 *
 * <p>As a {@link WeightSource} ({@link #weights()}, what the forward pass reads) its config is the one the output folder would
 * get and each tensor a {@link TensorRef} over the merged bytes; a reader that keeps those refs keeps the
 * tensors alive whatever the cache budget. A reader that keeps every tensor of a model larger than the heap
 * calls {@link #spillTo} first: each tensor is then merged once, written to an unlinked scratch file and
 * mapped back, so the heap holds one tensor at a time and the page cache the rest.
 */
public final class VirtualChild implements AutoCloseable {

    private final Map<String, TensorJob> jobs = new LinkedHashMap<>();
    private final MergePlan plan;
    private final TensorCompute compute;
    private final Executor.Options opts;
    private final long cacheBytes;
    private final ProgressListener progress;
    private final ExecutorService helpers;
    /** Access-ordered: iteration starts at the least recently used tensor. */
    private final LinkedHashMap<String, MemorySink.Tensor> cache = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;
    private long merges;
    /** Null until {@link #spillTo}: then every tensor {@link #weights()} hands out lives in this file. */
    private SpillFile spill;
    private final Map<String, SegmentTensorFile> spilled = new LinkedHashMap<>();

    VirtualChild(MergePlan plan, TensorCompute compute, Executor.Options opts, long cacheBytes, Consumer<String> warnings) {
        for (TensorJob j : plan.jobs()) {
            jobs.put(j.outputName(), j);
        }
        this.plan = plan;
        this.compute = compute;
        this.opts = opts;
        this.cacheBytes = cacheBytes;
        this.progress = new ProgressListener() {
            @Override
            public void warning(String message) {
                warnings.accept(message);
            }
        };
        this.helpers = opts.threads() > 1 ? Workers.pool(opts.threads() - 1, "child-merge") : null;
    }

    /** The output tensors' jobs (name, dtype, shape, inputs), in output order. */
    public Map<String, TensorJob> jobs() {
        return Collections.unmodifiableMap(jobs);
    }

    /** Tensor {@code name}, merged now unless cached; throws when the merge has no such tensor. */
    public synchronized MemorySink.Tensor tensor(String name) {
        MemorySink.Tensor t = cache.get(name);
        if (t != null) {
            return t;
        }
        TensorJob job = jobs.get(name);
        if (job == null) {
            throw new IllegalArgumentException("the merge has no tensor " + name);
        }
        MemorySink sink = MemorySink.of(job);
        Executor.runOne(job, compute, sink, opts, helpers, progress);
        merges++;
        t = sink.tensor(name);
        long size = t.bytes().length;
        if (size <= cacheBytes) {
            var it = cache.values().iterator();
            while (cachedBytes + size > cacheBytes && it.hasNext()) {
                cachedBytes -= it.next().bytes().length;
                it.remove();
            }
            cache.put(name, t);
            cachedBytes += size;
        }
        return t;
    }

    /** Bytes of every output tensor: what a reader keeping them all holds (heap, or scratch file once spilled). */
    public long totalBytes() {
        long total = 0;
        for (TensorJob j : jobs.values()) {
            total += j.outBytes();
        }
        return total;
    }

    /**
     * From now on {@link #weights()} hands out tensors mapped from a scratch file in {@code dir} (checked for
     * {@link #totalBytes()} of free space now) instead of heap arrays; the file goes when the child closes.
     */
    public synchronized void spillTo(Path dir) {
        if (spill != null) {
            throw new IllegalStateException("already spilling to " + dir);
        }
        spill = SpillFile.create(dir, totalBytes());
    }

    /** The ref of tensor {@code name}: merged now (or cached) on the heap, or mapped from the spill file. */
    private synchronized SegmentTensorFile file(String name) {
        if (spill == null) {
            return SegmentTensorFile.onHeap(Path.of(name), tensor(name));
        }
        SegmentTensorFile f = spilled.get(name);
        if (f == null) {
            MemorySink.Tensor t = tensor(name);
            f = new SegmentTensorFile(Path.of(name), t, spill.append(t.bytes()));
            spilled.put(name, f);
        }
        return f;
    }

    /** Rows {@code [row, row + rows)} of tensor {@code name} as float32 into {@code dst}. */
    public void rows(String name, long row, int rows, float[] dst) {
        tensor(name).rows(row, rows, dst);
    }

    /** The merge as a {@link WeightSource}: what the forward pass reads. */
    public WeightSource weights() {
        return new WeightSource() {
            @Override
            public String displayName() {
                return "the merge (" + plan.method() + ")";
            }

            /** The config.json the merge's output folder would get; a one-line error when no parent has one. */
            @Override
            public ModelConfig config() {
                ModelConfig c = MergeRun.outputConfig(plan);
                if (c == null) {
                    throw MergeLabException.input(displayName() + " has no config.json: its config source "
                            + plan.configSource().displayName() + " has none", null);
                }
                return c;
            }

            /** Merged (or cached, or spilled) now, as a ref over its bytes; null when the merge has no such tensor. */
            @Override
            public TensorRef tensor(String name) {
                if (!jobs.containsKey(name)) {
                    return null;
                }
                SegmentTensorFile file = file(name);
                return new TensorRef(file, file.info());
            }
        };
    }

    /** Bytes of the tensors kept now. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** How many tensor merges ran (a cache hit runs none). */
    public synchronized long merges() {
        return merges;
    }

    /** Stops the helper threads and releases the spill file (its tensors must not be read after); the session's parents stay open. */
    @Override
    public synchronized void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
        if (spill != null) {
            spilled.clear();
            spill.close();
        }
    }
}
