package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.ShardedWriter;
import dev.mergelab.method.ChunkedMerge;
import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor's chunked path (statistics pass, then combine over row chunks read from the mmapped
 * inputs) must write exactly what the whole-tensor path writes, including embeddings cut to a smaller
 * common shape.
 */
class ChunkedExecutionTest {

    @TempDir
    Path tmp;

    /** out = base + (a − base) · ‖base‖/‖a‖: one statistics pass (two norms) then an element-wise combine. */
    static final class NormScaled implements TensorCompute {
        @Override
        public float[] compute(TensorJob job, float[][] in, Consumer<String> warnings) {
            int n = (int) job.outNumel();
            int row = (int) job.outShape()[job.outShape().length - 1];
            float[][] cut = new float[2][n];
            for (int k = 0; k < 2; k++) {
                long[] s = job.inputs().get(k).ref().shape();
                int inRow = (int) s[s.length - 1];
                for (int r = 0; r < n / row; r++) {
                    System.arraycopy(in[k], r * inRow, cut[k], r * row, row);
                }
            }
            double nb = 0;
            double na = 0;
            for (int i = 0; i < n; i++) {
                nb += (double) cut[0][i] * cut[0][i];
                na += (double) cut[1][i] * cut[1][i];
            }
            float f = (float) Math.sqrt(nb / na);
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                out[i] = cut[0][i] + (cut[1][i] - cut[0][i]) * f;
            }
            return out;
        }

        @Override
        public ChunkedMerge chunked(TensorJob job, Consumer<String> warnings) {
            int row = (int) job.outShape()[job.outShape().length - 1];
            return new ChunkedMerge() {
                double nb;
                double na;
                float f;

                @Override
                public int statisticPasses() {
                    return 1;
                }

                @Override
                public void observe(int pass, long rowStart, int rows, float[][] in) {
                    for (int i = 0; i < rows * row; i++) {
                        nb += (double) in[0][i] * in[0][i];
                        na += (double) in[1][i] * in[1][i];
                    }
                }

                @Override
                public void endPass(int pass) {
                    f = (float) Math.sqrt(nb / na);
                }

                @Override
                public void combine(long rowStart, int rows, float[][] in, float[] out) {
                    for (int i = 0; i < rows * row; i++) {
                        out[i] = in[0][i] + (in[1][i] - in[0][i]) * f;
                    }
                }
            };
        }
    }

    @Test
    void chunkedOutputEqualsWholeTensorOutput() throws Exception {
        Path fam = tmp.resolve("fam");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16).withFineTunes(1), fam, 2);
        Path big = tmp.resolve("bigvocab");
        FamilyGenerator.generate(new FamilySpec(4, 64, 160, 4, 2, 300, DType.F32, 1, 1L << 30, false, 5), big, 2);
        try (ModelSource base = ModelSource.open(fam.resolve("base"), "base"); ModelSource ft = ModelSource.open(big.resolve("ft1"), "ft")) {
            List<TensorJob> jobs = new ArrayList<>();
            for (TensorRef t : base.tensors().values()) {
                TensorRef other = ft.tensor(t.name());
                jobs.add(new TensorJob(t.name(), "test", List.of(new PlannedInput("base", t, true, Map.of()),
                        new PlannedInput("ft", other, false, Map.of())), Map.of(), t.shape(), DType.F32, false, -1, false));
            }
            MergePlan plan = new MergePlan("test", jobs, List.of(base, ft), base, base, 4, 256, false);
            byte[] whole = run(plan, Long.MAX_VALUE, "whole");
            byte[] chunked = run(plan, 0, "chunked");
            assertEquals(whole.length, chunked.length);
            for (int i = 0; i < whole.length; i++) {
                assertEquals(whole[i], chunked[i], "byte " + i);
            }
        }
    }

    private byte[] run(MergePlan plan, long chunkAbove, String name) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(name));
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (TensorJob j : plan.jobs()) {
            entries.add(new SafetensorsWriter.Entry(j.outputName(), j.outDtype(), j.outShape()));
        }
        try (ShardedWriter w = ShardedWriter.create(dir, "model", entries, 1L << 30, Map.of())) {
            Executor.run(plan, new NormScaled(), new FolderSink(w), new Executor.Options(2, 64L << 20, chunkAbove, 1000), ProgressListener.NONE);
            w.finish(false, Map.of());
        }
        return Files.readAllBytes(dir.resolve("model.safetensors"));
    }
}
