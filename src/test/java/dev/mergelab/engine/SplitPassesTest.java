package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor shares a chunked merge's statistics passes among threads: the first chunk of each pass
 * on the merge itself, every other chunk exactly once on the merge or one of its observers, whose
 * statistics the merge absorbs before the pass ends. A merge that keeps per-chunk double sums and
 * folds them in row order then writes the same bytes with 1, 2 or 4 threads.
 */
class SplitPassesTest {

    @TempDir
    Path tmp;

    /** Threads that observed a chunk, per pass. */
    static final Map<Integer, Set<String>> OBSERVED_ON = new ConcurrentHashMap<>();

    /** out = x·f_0 + f_1, f_p = Σ over the chunks in row order of the chunk's Σ x² (pass p). */
    static final class Ledger implements ChunkedMerge {
        final int rowLength;
        final long rows;
        final int chunkRows;
        final boolean observer;
        final TreeMap<Long, Double> partials = new TreeMap<>();   // by chunk row
        final float[] factor = new float[2];

        Ledger(int rowLength, long rows, int chunkRows, boolean observer) {
            this.rowLength = rowLength;
            this.rows = rows;
            this.chunkRows = chunkRows;
            this.observer = observer;
        }

        @Override
        public int statisticPasses() {
            return 2;
        }

        @Override
        public void observe(int pass, long rowStart, int n, float[][] in) {
            if (observer && rowStart == 0) {
                throw new AssertionError("an observer got the first chunk");
            }
            double s = 0;
            for (int i = 0; i < n * rowLength; i++) {
                s += (double) in[0][i] * in[0][i] * (pass + 1);
            }
            if (partials.put(rowStart, s) != null) {
                throw new AssertionError("chunk at row " + rowStart + " observed twice");
            }
            OBSERVED_ON.computeIfAbsent(pass, p -> ConcurrentHashMap.newKeySet()).add(Thread.currentThread().getName());
            try {
                Thread.sleep(1);   // long enough for the helpers to start on a busy machine
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public ChunkedMerge observer(int pass) {
            return new Ledger(rowLength, rows, chunkRows, true);
        }

        @Override
        public void absorb(int pass, ChunkedMerge o) {
            for (var e : ((Ledger) o).partials.entrySet()) {
                if (partials.put(e.getKey(), e.getValue()) != null) {
                    throw new AssertionError("chunk at row " + e.getKey() + " observed twice");
                }
            }
        }

        @Override
        public void endPass(int pass) {
            List<Long> expected = new ArrayList<>();
            for (long r = 0; r < rows; r += chunkRows) {
                expected.add(r);
            }
            assertEquals(expected, new ArrayList<>(partials.keySet()), "every chunk observed once in pass " + pass);
            double sum = 0;
            for (double p : partials.values()) {
                sum += p;
            }
            factor[pass] = (float) sum;
            partials.clear();
        }

        @Override
        public void combine(long rowStart, int n, float[][] in, float[] out) {
            for (int i = 0; i < n * rowLength; i++) {
                out[i] = in[0][i] * factor[0] + factor[1];
            }
        }
    }

    static final class LedgerCompute implements TensorCompute {
        final int chunkElements;

        LedgerCompute(int chunkElements) {
            this.chunkElements = chunkElements;
        }

        @Override
        public float[] compute(TensorJob job, float[][] in, Consumer<String> warnings) {
            throw new AssertionError("the job should run chunked");
        }

        @Override
        public ChunkedMerge chunked(TensorJob job, Consumer<String> warnings) {
            int rowLength = (int) job.outShape()[job.outShape().length - 1];
            long rows = job.outNumel() / rowLength;
            return new Ledger(rowLength, rows, Math.max(1, chunkElements / rowLength), false);
        }
    }

    @Test
    void sharedStatisticsPassesGiveTheOneThreadBytes() throws Exception {
        Path fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32).withFineTunes(1), fam, 2);
        try (ModelSource base = ModelSource.open(fam.resolve("base"), "base")) {
            TensorRef t = base.tensors().values().stream().max(Comparator.comparingLong(TensorRef::numel)).orElseThrow();
            TensorJob job = new TensorJob(t.name(), "test", List.of(new PlannedInput("base", t, true, Map.of())), Map.of(),
                    t.shape(), DType.F32, false, -1, false);
            MergePlan plan = new MergePlan("test", List.of(job), List.of(base), base, base, 4, 256, false);
            int chunk = 2 * (int) t.shape()[t.shape().length - 1];
            assertTrue(t.numel() / chunk >= 16, "enough chunks to share: " + t.numel() / chunk);
            byte[] reference = null;
            for (int threads : new int[] {1, 2, 4}) {
                OBSERVED_ON.clear();
                MemorySink out = new MemorySink(plan);
                Executor.run(plan, new LedgerCompute(chunk), out, new Executor.Options(threads, 64L << 20, 0, chunk),
                        ProgressListener.NONE);
                byte[] bytes = out.tensor(t.name()).bytes();
                if (reference == null) {
                    reference = bytes;
                    assertEquals(1, OBSERVED_ON.get(1).size(), "one thread observes everything");
                } else {
                    assertArrayEquals(reference, bytes, threads + " threads");
                    assertTrue(OBSERVED_ON.get(0).size() > 1 || OBSERVED_ON.get(1).size() > 1,
                            "with " + threads + " threads the passes are shared: " + OBSERVED_ON);
                }
            }
        }
    }
}
