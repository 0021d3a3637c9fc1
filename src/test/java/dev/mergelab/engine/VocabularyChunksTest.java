package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.model.ModelSource;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Embeddings resized to a tokenizer source's vocabulary stream in row chunks (heap independent of the
 * vocabulary size) and write exactly the bytes of the whole-tensor path, for vocabularies larger and
 * smaller than the parents' and chunks that straddle a parent's last row.
 */
class VocabularyChunksTest {

    @TempDir
    Path tmp;

    /** Counts the jobs the executor runs chunked. */
    static final class Counting implements TensorCompute {
        final MethodCompute inner = new MethodCompute(7);
        final Set<String> chunked = ConcurrentHashMap.newKeySet();

        @Override
        public float[] compute(TensorJob job, float[][] data, Consumer<String> warnings) {
            return inner.compute(job, data, warnings);
        }

        @Override
        public ChunkedMerge chunked(TensorJob job, Consumer<String> warnings) {
            chunked.add(job.outputName()); // once per job, or more when its combine pass is split across threads
            return inner.chunked(job, warnings);
        }
    }

    @ParameterizedTest
    @CsvSource({"linear, 300", "ties, 300", "dare_ties, 300", "linear, 200", "ties, 256"})
    void chunkedVocabularyRowsEqualWholeTensorRows(String method, long vocabRows) throws Exception {
        // base and ft2 have 256 rows, ft1 300 (added tokens): rows 256..299 are ft1's alone.
        Path small = tmp.resolve("small");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16).withFineTunes(2), small, 2);
        Path big = tmp.resolve("big");
        FamilyGenerator.generate(new FamilySpec(4, 64, 160, 4, 2, 300, DType.BF16, 1, 1L << 30, false, 5), big, 2);
        try (ModelSource base = ModelSource.open(small.resolve("base"), "base");
             ModelSource ft1 = ModelSource.open(big.resolve("ft1"), "ft1");
             ModelSource ft2 = ModelSource.open(small.resolve("ft2"), "ft2")) {
            List<TensorJob> jobs = new ArrayList<>();
            for (String name : List.of("model.embed_tokens.weight", "lm_head.weight")) {
                List<PlannedInput> ins = List.of(
                        new PlannedInput("base", base.tensor(name), true, Map.of("weight", 0.2)),
                        new PlannedInput("ft1", ft1.tensor(name), false, Map.of("weight", 0.5, "density", 0.5)),
                        new PlannedInput("ft2", ft2.tensor(name), false, Map.of("weight", 0.3, "density", 0.7)));
                jobs.add(new TensorJob(name, method, ins, Map.of(), new long[] {vocabRows, 64}, DType.BF16, true, vocabRows, false));
            }
            MergePlan plan = new MergePlan(method, jobs, List.of(base, ft1, ft2), base, base, 4, vocabRows, false);
            Counting whole = new Counting();
            byte[] wholeBytes = run(plan, whole, Long.MAX_VALUE, "whole");
            Counting chunks = new Counting();
            // 7 rows of 64 per chunk: chunks straddle row 256, where base and ft2 end.
            byte[] chunkBytes = run(plan, chunks, 0, "chunked");
            assertEquals(0, whole.chunked.size());
            assertEquals(2, chunks.chunked.size(), "both vocabulary jobs must run in row chunks");
            assertArrayEquals(wholeBytes, chunkBytes);
        }
    }

    @ParameterizedTest
    @CsvSource({"300", "200"})
    void resizedJobsAreReadableInChunks(long vocabRows) {
        assertTrue(ChunkReader.canRead(VocabularyRowsTest.job(vocabRows, 0, 256, 300, 256)));
    }

    private byte[] run(MergePlan plan, TensorCompute compute, long chunkAbove, String name) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(name));
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (TensorJob j : plan.jobs()) {
            entries.add(new SafetensorsWriter.Entry(j.outputName(), j.outDtype(), j.outShape()));
        }
        try (ShardedWriter w = ShardedWriter.create(dir, "model", entries, 1L << 30, Map.of())) {
            Executor.run(plan, compute, new FolderSink(w), new Executor.Options(2, 64L << 20, chunkAbove, 7 * 64), ProgressListener.NONE);
            w.finish(false, Map.of());
        }
        return Files.readAllBytes(dir.resolve("model.safetensors"));
    }
}
