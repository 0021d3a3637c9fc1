package dev.mergelab.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mergelab.format.SafetensorsWriter;
import dev.mergelab.format.WeightFile;
import dev.mergelab.format.WeightFiles;
import dev.mergelab.model.TensorRef;
import dev.mergelab.tensor.Codecs;
import dev.mergelab.tensor.DType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A LoRA-patched {@link TensorRef} read by rows gives exactly the bits of the whole tensor decoded and
 * patched, sliced: for any run of rows, at any destination offset, one-shot or through one
 * {@link TensorRef.RowReader} reused chunk after chunk, in both layouts (W += s·B·A and the transposed one).
 */
class PatchedRowsPropertiesTest {

    private static Path dir;
    private static final AtomicInteger FILES = new AtomicInteger();

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("mergelab-patched-rows");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** ΔW is out×in (stored transposed as in×out when {@code transposed}); A is r×in, B out×r. */
    record Case(int out, int in, int rank, boolean transposed, DType baseType, DType factorType, int chunkRows, long seed) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(Arbitraries.integers().between(1, 9), Arbitraries.integers().between(1, 9),
                Arbitraries.integers().between(1, 4), Arbitraries.of(true, false), Arbitraries.of(DType.F32, DType.BF16, DType.F16),
                Arbitraries.of(DType.F32, DType.BF16), Arbitraries.integers().between(1, 5), Arbitraries.longs()).as(Case::new);
    }

    @Property(tries = 200)
    void patchedRowsEqualTheWholePatchedTensorSliced(@ForAll("cases") Case c) throws IOException {
        long[] wShape = c.transposed() ? new long[] {c.in(), c.out()} : new long[] {c.out(), c.in()};
        Path file = dir.resolve("p" + FILES.incrementAndGet() + ".safetensors");
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("w", c.baseType(), wShape),
                new SafetensorsWriter.Entry("a", c.factorType(), new long[] {c.rank(), c.in()}),
                new SafetensorsWriter.Entry("b", c.factorType(), new long[] {c.out(), c.rank()}));
        SplittableRandom rnd = new SplittableRandom(c.seed());
        try (SafetensorsWriter w = SafetensorsWriter.create(file, entries, Map.of())) {
            for (SafetensorsWriter.Entry e : entries) {
                float[] v = new float[(int) (e.byteSize() / e.dtype().size())];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rnd.nextGaussian();
                }
                ByteBuffer buf = ByteBuffer.allocate((int) e.byteSize());
                Codecs.encode(e.dtype(), v, 0, v.length, MemorySegment.ofBuffer(buf), 0);
                w.write(e.name(), 0, buf);
            }
            w.finish(false);
        }
        try (WeightFile f = WeightFiles.open(file)) {
            LoraModule module = new LoraModule("m", new TensorRef(f, f.tensor("a")), new TensorRef(f, f.tensor("b")), false,
                    c.rank(), 2 * c.rank(), 2.0, c.transposed());
            TensorRef ref = new TensorRef(f, f.tensor("w"), new LowRankPatch(module));
            int rows = (int) ref.rows();
            int len = (int) ref.rowLength();
            float[] whole = new float[rows * len];
            ref.decodeInto(whole);
            float[] plain = new float[whole.length];
            f.decode(f.tensor("w"), plain, 0);
            assertEquals(false, Arrays.equals(plain, whole), "the patch changes the tensor");

            for (int first = 0; first < rows; first++) {
                for (int n = 1; first + n <= rows; n++) {
                    for (int off : new int[] {0, 2}) {
                        float[] dst = new float[off + n * len];
                        ref.decodeRows(first, n, dst, off);
                        assertArrayEquals(bits(whole, first * len, n * len), bits(dst, off, n * len),
                                "rows " + first + "+" + n + " at offset " + off);
                    }
                }
            }
            TensorRef.RowReader reader = ref.rowReader();
            float[] chunk = new float[c.chunkRows() * len];
            for (int first = 0; first < rows; first += c.chunkRows()) {
                int n = Math.min(c.chunkRows(), rows - first);
                reader.read(first, n, chunk, 0);
                assertArrayEquals(bits(whole, first * len, n * len), bits(chunk, 0, n * len), "reused reader, rows " + first + "+" + n);
            }
        } finally {
            Files.delete(file);
        }
    }

    private static int[] bits(float[] a, int from, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = Float.floatToRawIntBits(a[from + i]);
        }
        return out;
    }
}
