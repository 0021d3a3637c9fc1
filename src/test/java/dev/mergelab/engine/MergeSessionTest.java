package dev.mergelab.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mergelab.model.ModelSource;
import dev.mergelab.model.TensorRef;
import dev.mergelab.recipe.Recipe;
import dev.mergelab.synth.FamilyGenerator;
import dev.mergelab.synth.FamilySpec;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe merged into memory, or read tensor by tensor through the lazy child, gives exactly the bytes
 * the output folder holds, for deterministic and seeded random methods, on the whole-tensor path and on
 * the chunked path split across threads; and the split combine pass gives the same bytes for any
 * thread count.
 */
class MergeSessionTest {

    @TempDir
    static Path tmp;

    static Path family;
    static Path family32;

    static final Map<String, String> RECIPES = new LinkedHashMap<>();

    static {
        String taskVectors = """
                merge_method: %s
                base_model: FAMILY/base
                models:
                  - model: FAMILY/ft1
                    parameters: {weight: 0.6, density: 0.5}
                  - model: FAMILY/ft2
                    parameters: {weight: 0.4, density: 0.7}
                  - model: FAMILY/ft3
                    parameters: {weight: 0.3, density: 0.6}
                dtype: bfloat16
                """;
        for (String m : List.of("task_arithmetic", "ties", "dare_ties", "dare_linear", "della", "breadcrumbs_ties")) {
            RECIPES.put(m, taskVectors.formatted(m));
        }
        // float32 task vectors rarely tie at the cut magnitude, so ties' combine pass can be split too
        RECIPES.put("ties_f32", taskVectors.formatted("ties").replace("FAMILY", "F32FAMILY").replace("bfloat16", "float32"));
        RECIPES.put("linear", """
                merge_method: linear
                models:
                  - model: FAMILY/ft1
                    parameters: {weight: 0.5}
                  - model: FAMILY/ft2
                    parameters: {weight: 0.3}
                dtype: float32
                """);
        RECIPES.put("slerp", """
                merge_method: slerp
                base_model: FAMILY/base
                slices:
                  - sources:
                      - model: FAMILY/base
                        layer_range: [0, 4]
                      - model: FAMILY/ft1
                        layer_range: [0, 4]
                parameters: {t: [0, 0.5, 1]}
                dtype: bfloat16
                """);
        RECIPES.put("passthrough", """
                merge_method: passthrough
                slices:
                  - sources:
                      - model: FAMILY/ft1
                        layer_range: [0, 3]
                  - sources:
                      - model: FAMILY/ft2
                        layer_range: [1, 4]
                        parameters: {scale: 0.5}
                """);
    }

    @BeforeAll
    static void generate() throws Exception {
        family = tmp.resolve("family");
        FamilyGenerator.generate(FamilySpec.tiny(DType.BF16), family, 2);
        family32 = tmp.resolve("family32");
        FamilyGenerator.generate(FamilySpec.tiny(DType.F32), family32, 2);
    }

    static MergeSession open(String method) {
        Recipe recipe = Recipe.parse(RECIPES.get(method).replace("F32FAMILY", family32.toString()).replace("FAMILY", family.toString()), method + ".yml");
        return MergeSession.open(recipe, ref -> ModelSource.open(Path.of(ref), ref), w -> { });
    }

    /** Whole tensors (the default options) and row chunks of 256 elements split across 3 threads. */
    static List<MergeRun.Options> optionSets() {
        return List.of(new MergeRun.Options(2, 64L << 20, 1L << 30, 7, true, false),
                new MergeRun.Options(3, 64L << 20, 1L << 30, 7, true, false, 0, 256));
    }

    @Test
    void memoryAndLazyChildEqualTheFolderBitForBit() {
        int variant = 0;
        for (String method : RECIPES.keySet()) {
            for (MergeRun.Options opts : optionSets()) {
                Path out = tmp.resolve("out-" + method + "-" + variant++);
                try (MergeSession session = open(method)) {
                    session.writeFolder(out, opts, ProgressListener.NONE);
                    MemorySink memory = session.mergeInMemory(opts.seed(), opts.executor(), ProgressListener.NONE);
                    try (ModelSource folder = ModelSource.open(out, "out");
                            VirtualChild child = session.virtualChild(opts.seed(), opts.executor(), Long.MAX_VALUE, w -> { })) {
                        assertEquals(folder.tensors().keySet(), memory.tensors().keySet(), method);
                        for (TensorRef t : folder.tensors().values()) {
                            byte[] written = t.data().toArray(ValueLayout.JAVA_BYTE);
                            MemorySink.Tensor m = memory.tensor(t.name());
                            assertEquals(t.dtype(), m.dtype(), method + " " + t.name());
                            assertArrayEquals(t.shape(), m.shape(), method + " " + t.name());
                            assertArrayEquals(written, m.bytes(), method + " " + t.name() + " in memory");
                            assertArrayEquals(written, child.tensor(t.name()).bytes(), method + " " + t.name() + " through the child");
                            assertRowsEqual(t, child, method);
                        }
                    }
                }
            }
        }
    }

    /** The child's float rows, read in two pieces, are the folder's decoded values bit for bit. */
    private static void assertRowsEqual(TensorRef t, VirtualChild child, String method) {
        float[] expected = new float[(int) t.numel()];
        Codecs.decode(t.dtype(), t.data(), 0, expected, 0, expected.length);
        int rowLength = t.shape().length == 0 ? 1 : (int) t.shape()[t.shape().length - 1];
        int rows = expected.length / rowLength;
        int first = rows / 2;
        float[] a = new float[first * rowLength];
        float[] b = new float[(rows - first) * rowLength];
        child.rows(t.name(), 0, first, a);
        child.rows(t.name(), first, rows - first, b);
        for (int i = 0; i < expected.length; i++) {
            float got = i < a.length ? a[i] : b[i - a.length];
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got), method + " " + t.name() + " element " + i);
        }
    }

    @Test
    void splitCombinePassGivesTheSameBytesForAnyThreadCount() {
        for (String method : RECIPES.keySet()) {
            try (MergeSession session = open(method)) {
                Map<String, byte[]> reference = null;
                for (int threads : new int[] {1, 2, 4}) {
                    MemorySink m = session.mergeInMemory(11, new Executor.Options(threads, 64L << 20, 0, 128), ProgressListener.NONE);
                    Map<String, byte[]> bytes = new LinkedHashMap<>();
                    m.tensors().forEach((k, v) -> bytes.put(k, v.bytes()));
                    if (reference == null) {
                        reference = bytes;
                        continue;
                    }
                    for (String name : reference.keySet()) {
                        assertArrayEquals(reference.get(name), bytes.get(name), method + " " + name + " with " + threads + " threads");
                    }
                }
            }
        }
    }

    @Test
    void childMergesOnFirstRequestAndEvictsTheLeastRecentlyUsedWithinItsBudget() {
        try (MergeSession session = open("ties")) {
            List<TensorJob> jobs = new ArrayList<>();
            for (TensorJob j : session.plan().jobs()) {
                if (j.outShape().length == 2 && j.outShape()[0] == 160) {
                    jobs.add(j);   // mlp projections of equal size
                }
            }
            TensorJob a = jobs.get(0);
            TensorJob b = jobs.get(1);
            TensorJob c = jobs.get(2);
            assertEquals(a.outBytes(), b.outBytes());
            try (VirtualChild child = session.virtualChild(0, new Executor.Options(2, 64L << 20), 2 * a.outBytes(), w -> { })) {
                MemorySink.Tensor ta = child.tensor(a.outputName());
                assertSame(ta, child.tensor(a.outputName()));
                assertEquals(1, child.merges());
                child.tensor(b.outputName());
                child.tensor(a.outputName());           // a is now the most recently used
                child.tensor(c.outputName());           // over budget: b goes
                assertEquals(3, child.merges());
                assertEquals(2 * a.outBytes(), child.cachedBytes());
                child.tensor(a.outputName());
                assertEquals(3, child.merges(), "a stayed cached");
                MemorySink.Tensor again = child.tensor(b.outputName());
                assertEquals(4, child.merges(), "b was evicted and merged again");
                assertArrayEquals(ta.bytes().length == again.bytes().length ? again.bytes() : null, again.bytes());
                assertThrows(IllegalArgumentException.class, () -> child.tensor("no.such.tensor"));
            }
        }
    }

    @Test
    void aSpilledChildHandsOutMappedTensorsEqualToTheHeapOnesAndLeavesNoFile() throws Exception {
        Path scratch = tmp.resolve("scratch");
        try (MergeSession session = open("ties");
                VirtualChild heap = session.virtualChild(5, new Executor.Options(2, 64L << 20), 0, w -> { });
                VirtualChild spilled = session.virtualChild(5, new Executor.Options(2, 64L << 20), 0, w -> { })) {
            spilled.spillTo(scratch);
            try (var files = java.nio.file.Files.list(scratch)) {
                assertEquals(0, files.count(), "the scratch file is unlinked as soon as it is open");
            }
            var viaHeap = heap.weights();
            var viaFile = spilled.weights();
            for (TensorJob j : session.plan().jobs()) {
                TensorRef h = viaHeap.tensor(j.outputName());
                TensorRef f = viaFile.tensor(j.outputName());
                assertTrue(f.data().isMapped(), j.outputName() + " is read from the file");
                assertArrayEquals(h.data().toArray(ValueLayout.JAVA_BYTE), f.data().toArray(ValueLayout.JAVA_BYTE), j.outputName());
                assertArrayEquals(h.shape(), f.shape(), j.outputName());
                assertSame(f.file(), viaFile.tensor(j.outputName()).file(), "asked twice, merged once");
            }
            assertEquals(session.plan().jobs().size(), spilled.merges());
            assertTrue(spilled.totalBytes() > 0);
            assertThrows(IllegalStateException.class, () -> spilled.spillTo(scratch));
        }
    }

    @Test
    void aScratchDirectoryWithoutTheSpaceIsOneLineBeforeAnyMerge() {
        try (MergeSession session = open("linear");
                VirtualChild child = session.virtualChild(5, new Executor.Options(1, 64L << 20), 0, w -> { })) {
            var e = assertThrows(dev.mergelab.MergeLabException.class, () -> SpillFile.create(tmp, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("scratch space in " + tmp), e.getMessage());
            assertEquals(0, child.merges());
        }
    }

    @Test
    void closingTheSessionClosesTheParentsOnceAndAFailedPlanClosesWhatItOpened() {
        List<ModelSource> opened = new ArrayList<>();
        Recipe bad = Recipe.parse("""
                merge_method: linear
                models:
                  - model: %s
                    parameters: {weight: 1}
                  - model: %s
                    parameters: {weight: 1}
                """.formatted(family.resolve("ft1"), tmp.resolve("missing")), "bad.yml");
        assertThrows(RuntimeException.class, () -> MergeSession.open(bad, ref -> {
            ModelSource m = ModelSource.open(Path.of(ref), ref);
            opened.add(m);
            return m;
        }, w -> { }));
        assertEquals(1, opened.size());
        assertThrows(IllegalStateException.class, () -> opened.getFirst().tensors().values().iterator().next().data().get(ValueLayout.JAVA_BYTE, 0),
                "the parent opened before the failure is closed");
        MergeSession s = open("linear");
        assertNotNull(s.plan());
        s.close();
        s.close();   // once only: a second close does nothing
        assertTrue(s.plan().models().size() == 2);
    }
}
